package hyenac.ir.cp;

import java.util.Locale;

/**
 * The zig-zag layout of a sequence over N ranks: the length L is cut into 2N chunks of L/2N positions and rank r
 * holds chunks r and 2N−1−r, so that every rank has an equal share of causal attention's work. A rank's shard of a
 * [batch, L, width] value is [batch, 2·L/2N, width]: per sequence its first chunk's rows, then its second's. This
 * class is the index arithmetic and the copies between a whole value and its shards, for any backend.
 */
public record Zigzag(int ranks, int length) {
    public Zigzag {
        if (ranks < 1) throw new ContextParallelException("--context-parallel needs at least 1 rank, not " + ranks);
        check(ranks, length);
    }

    /** Refuses a length that does not cut into 2N equal chunks, saying which lengths do. */
    public static void check(int ranks, int length) {
        int chunks = 2 * ranks;
        if (length % chunks != 0 || length == 0) {
            int lower = length / chunks * chunks, upper = lower + chunks;
            throw new ContextParallelException(String.format(Locale.ROOT,
                    "a sequence of %d tokens does not cut into 2N = %d equal chunks for %d ranks; use a length that is a multiple"
                            + " of %d (%s%d), or fewer ranks", length, chunks, ranks, chunks, lower > 0 ? lower + " or " : "", upper));
        }
    }

    public int chunks() { return 2 * ranks; }

    /** Positions per chunk. */
    public int chunk() { return length / chunks(); }

    /** Positions per rank: two chunks. */
    public int local() { return 2 * chunk(); }

    /** The global chunk index of rank r's local chunk i (0 or 1). */
    public int chunkOf(int rank, int i) { return i == 0 ? rank : chunks() - 1 - rank; }

    /** The rank holding global chunk j. */
    public int owner(int j) { return j < ranks ? j : chunks() - 1 - j; }

    /** The global position of rank r's local row t (0 ≤ t < {@link #local}). */
    public int position(int rank, int t) { return chunkOf(rank, t / chunk()) * chunk() + t % chunk(); }

    /** Rank r's shard of a whole [batch, length, width] value: [batch, local, width]. */
    public float[] shard(float[] whole, int batch, int width, int rank) {
        float[] out = new float[batch * local() * width];
        int c = chunk();
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < 2; i++) {
                System.arraycopy(whole, (b * length + chunkOf(rank, i) * c) * width, out, (b * local() + i * c) * width, c * width);
            }
        }
        return out;
    }

    /** Rank r's shard of [batch, length] token ids. */
    public long[] shard(long[] whole, int batch, int rank) {
        long[] out = new long[batch * local()];
        int c = chunk();
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < 2; i++) System.arraycopy(whole, b * length + chunkOf(rank, i) * c, out, b * local() + i * c, c);
        }
        return out;
    }

    /** Places rank r's shard [batch, local, width] into the whole value [batch, length, width]. */
    public void place(float[] shard, int batch, int width, int rank, float[] whole) {
        int c = chunk();
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < 2; i++) {
                System.arraycopy(shard, (b * local() + i * c) * width, whole, (b * length + chunkOf(rank, i) * c) * width, c * width);
            }
        }
    }
}
