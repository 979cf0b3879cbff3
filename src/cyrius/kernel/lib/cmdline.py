"""The kernel command line (\\cmdline.txt on the ESP): words separated by spaces or tabs.

Drivers look for their own switches here (`blktest`, `pci=nomsi`); nothing is parsed up front.
"""
from cyrius.lang import NULL, Ptr, cast, u8, u64, usize

from ..bootinfo import BootInfo


def is_space(c: u8) -> bool:
    return c == ord(" ") or c == ord("\t") or c == ord("\n") or c == ord("\r")


def has_word(text: Ptr[u8], length: u64, word: Ptr[u8]) -> bool:
    """True if `word` appears in text[0:length] as a whole word."""
    if text == NULL:
        return False
    i: u64 = 0
    while i < length:
        while i < length and is_space(text[i]):
            i += 1
        start: u64 = i
        while i < length and not is_space(text[i]):
            i += 1
        k: u64 = 0
        while start + k < i and word[k] != 0 and text[start + k] == word[k]:
            k += 1
        if start + k == i and word[k] == 0 and k > 0:
            return True
    return False


def boot_has(info: Ptr[BootInfo], word: Ptr[u8]) -> bool:
    """Whether the boot command line the loader passed contains `word`."""
    return has_word(cast(Ptr[u8], usize(info.cmdline)), info.cmdline_len, word)
