package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import hyenac.runtime.progress.Progress;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TerminalProgressTest {
    @Test
    void aLineSaysHowFarHowFastAndHowLongIsLeft() {
        assertEquals("drawing random weights [############............]  50% 3.24G/6.48G weights, 324M weights/s, 10 s left",
                TerminalProgress.line("drawing random weights", 3_240_000_000L, 6_480_000_000L, "weights", 10.0));
        assertEquals("loading [########################] 100% 2048/2048 B, 1024 B/s",
                TerminalProgress.line("loading", 2048, 2048, "B", 2.0));
        assertEquals("1 min 5 s", TerminalProgress.duration(65));
        assertEquals("2 h 3 min", TerminalProgress.duration(2 * 3600 + 3 * 60 + 4));
    }

    @Test
    void offATerminalNothingIsDrawn() {
        String was = System.getProperty("hyenac.stderr.tty");
        System.setProperty("hyenac.stderr.tty", "false");
        try {
            StringWriter err = new StringWriter();
            assertSame(Progress.NONE, TerminalProgress.on(new PrintWriter(err)));
        } finally {
            if (was == null) System.clearProperty("hyenac.stderr.tty");
            else System.setProperty("hyenac.stderr.tty", was);
        }
    }

    @Test
    void onATerminalTheLineIsErasedOnceWhenTheTaskEnds() {
        String was = System.getProperty("hyenac.stderr.tty");
        System.setProperty("hyenac.stderr.tty", "true");
        try {
            StringWriter err = new StringWriter();
            Progress p = TerminalProgress.on(new PrintWriter(err));
            Progress.Task t = p.start("loading", 100, "B");
            t.advance(40);
            t.close();
            t.close();
            assertEquals("\r\033[Kloading [##########..............]  40% 40/100 B", err.toString().substring(0, err.toString().indexOf(", ")));
            assertEquals(1, err.toString().split("\r\033\\[K", -1).length - 2, "one draw, one erase: " + err);
        } finally {
            if (was == null) System.clearProperty("hyenac.stderr.tty");
            else System.setProperty("hyenac.stderr.tty", was);
        }
    }
}
