/* Stand-in for <stddef.h> while pycparser reads runtime-c headers. */
typedef unsigned long size_t;
typedef long ptrdiff_t;
#define NULL ((void *)0)
