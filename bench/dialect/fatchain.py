"""A FAT32 cluster-chain walk: follow next-cluster entries (28 bits, the top 4 reserved) until an
end-of-chain mark, rejecting clusters outside the table and chains longer than the table (a loop).
Twin: bench/c/fatchain.c."""
from cyrius.lang import Final, Ptr, i64, u32

FAT_MASK: Final = 0x0FFFFFFF
FAT_EOC_MIN: Final = 0x0FFFFFF8


def chain_length(fat: Ptr[u32], nclusters: u32, start: u32) -> i64:
    """Clusters in the chain from start, or -1 if it leaves the table or loops."""
    count: i64 = 0
    c: u32 = start
    while c < FAT_EOC_MIN:
        if c < 2 or c >= nclusters:
            return -1
        count += 1
        if count > i64(nclusters):
            return -1
        c = fat[c] & FAT_MASK
    return count


def bench(fat: Ptr[u32], nclusters: u32, reps: u32) -> i64:
    """reps walks, each from a different cluster; returns the sum of the lengths."""
    total: i64 = 0
    for r in range(reps):
        total += chain_length(fat, nclusters, 2 + r % (nclusters - 2))
    return total
