package hyenac.runtime.comm;

import java.util.List;

/**
 * The collectives context parallelism needs, between the ranks of one group: all-to-all, grouped point-to-point and
 * all-gather, on fp32 elements. The contract is NCCL's so that an NCCL implementation (through FFM) can stand in for
 * the in-process one: every rank calls the same collectives in the same order; counts are elements, equal on every
 * rank; a {@link #exchange group} of sends and receives completes as a whole in any order (ncclGroupStart/End), so
 * ranks may send to each other at once without deadlock; messages between two ranks arrive in the order sent. A
 * failure on any rank ends the collective on every rank with a {@link CommunicatorException}, never a hang.
 */
public interface Communicator {
    int rank();

    /** How many ranks the group has. */
    int size();

    /**
     * Block p of {@code send} (elements [p·count, (p+1)·count)) goes to rank p; block q of {@code recv} comes from rank
     * q. Each rank's own block is copied locally. ncclAllToAll or, per peer, ncclSend + ncclRecv in one group.
     */
    void allToAll(float[] send, float[] recv, int count);

    /** Block p of {@code recv} ([p·count, (p+1)·count)) becomes rank p's {@code send}[0, count): ncclAllGather. */
    void allGather(float[] send, float[] recv, int count);

    /** Point-to-point transfers that complete together: ncclGroupStart, ncclSend/ncclRecv each, ncclGroupEnd. */
    void exchange(List<Transfer> transfers);

    /** Elements this rank has sent to other ranks so far (its own blocks excluded): what the links carried. */
    long sent();

    /** One side of a point-to-point message: {@code count} elements of {@code buffer} from {@code offset}. */
    record Transfer(boolean send, int peer, float[] buffer, int offset, int count) {
        public static Transfer send(int peer, float[] buffer, int offset, int count) { return new Transfer(true, peer, buffer, offset, count); }

        public static Transfer recv(int peer, float[] buffer, int offset, int count) { return new Transfer(false, peer, buffer, offset, count); }
    }
}
