"""NUL-terminated byte strings."""
from cyrius.lang import u8, usize, Ptr


def length(s: Ptr[u8]) -> usize:
    n: usize = 0
    while s[n] != 0:
        n += 1
    return n


def equal(a: Ptr[u8], b: Ptr[u8]) -> bool:
    i: usize = 0
    while a[i] == b[i]:
        if a[i] == 0:
            return True
        i += 1
    return False


def is_name(name: Ptr[u8], length: usize, word: Ptr[u8]) -> bool:
    """The counted name (a path component, not NUL-terminated) is exactly `word`."""
    for i in range(length):
        if word[i] != name[i]:
            return False
    return word[length] == 0


def starts_with(s: Ptr[u8], prefix: Ptr[u8]) -> bool:
    i: usize = 0
    while prefix[i] != 0:
        if s[i] != prefix[i]:
            return False
        i += 1
    return True
