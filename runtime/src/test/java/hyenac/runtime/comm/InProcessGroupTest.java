package hyenac.runtime.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class InProcessGroupTest {
    @Test
    void allToAllAllGatherAndExchange() {
        List<float[]> out = InProcessGroup.run(3, Duration.ofSeconds(10), comm -> {
            int r = comm.rank();
            float[] send = {10 * r, 10 * r + 1, 10 * r + 2}, recv = new float[3];
            comm.allToAll(send, recv, 1); // block p of rank r holds 10r + p
            float[] all = new float[3];
            comm.allGather(new float[] {r}, all, 1);
            float[] fromLeft = new float[1];
            int right = (r + 1) % 3, left = (r + 2) % 3;
            comm.exchange(List.of(Communicator.Transfer.send(right, new float[] {100 + r}, 0, 1), Communicator.Transfer.recv(left, fromLeft, 0, 1)));
            assertEquals(5, comm.sent()); // own blocks stay: a2a 2, gather 2, exchange 1
            return new float[] {recv[0], recv[1], recv[2], all[0], all[1], all[2], fromLeft[0]};
        });
        assertArrayEquals(new float[] {0, 10, 20, 0, 1, 2, 102}, out.get(0));
        assertArrayEquals(new float[] {1, 11, 21, 0, 1, 2, 100}, out.get(1));
    }

    @Test
    @Timeout(20)
    void aFailingRankStopsEveryRankWithItsError() {
        var e = assertThrows(IllegalStateException.class, () -> InProcessGroup.run(4, Duration.ofMinutes(5), comm -> {
            if (comm.rank() == 2) throw new IllegalStateException("rank 2 broke");
            comm.allGather(new float[1], new float[4], 1); // the others wait on rank 2, which never comes
            return null;
        }));
        assertEquals("rank 2 broke", e.getMessage());
    }

    @Test
    @Timeout(20)
    void aMissingMessageTimesOutInWords() {
        var e = assertThrows(CommunicatorException.class, () -> InProcessGroup.run(2, Duration.ofMillis(300), comm -> {
            if (comm.rank() == 0) comm.exchange(List.of(Communicator.Transfer.recv(1, new float[1], 0, 1))); // rank 1 never sends
            return null;
        }));
        assertTrue(e.getMessage().contains("rank 0 waited") && e.getMessage().contains("for rank 1"), e.getMessage());
    }
}
