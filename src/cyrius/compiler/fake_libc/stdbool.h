/* Stand-in for <stdbool.h> while pycparser reads runtime-c headers. */
typedef _Bool bool;
#define true 1
#define false 0
