package hyenac.runtime.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy files as NumPy reads them: the header's layout byte for byte, the data after it, and NumPy itself where installed. */
class NpyTest {
    /** The header's dict, checked against the format's rules; returns it. */
    static String header(byte[] file) {
        assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, java.util.Arrays.copyOf(file, 8), "magic and version 1.0");
        int length = ByteBuffer.wrap(file, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        assertEquals(0, (10 + length) % 64, "the data starts 64-byte aligned");
        assertEquals('\n', file[10 + length - 1], "the header ends in a newline");
        return new String(file, 10, length, StandardCharsets.US_ASCII).strip();
    }

    @Test
    void headerAndDataAreWhatNumpyExpects(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.npy");
        Npy.write(f, new long[] {2, 3}, List.of(new float[] {1, 2, 3}, new float[] {4, 5, -6.5f}));
        byte[] bytes = Files.readAllBytes(f);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", header(bytes));
        int start = bytes.length - 6 * 4;
        assertEquals(128, start, "the 60-character dict, its preamble and newline take two 64-byte blocks");
        ByteBuffer data = ByteBuffer.wrap(bytes, start, 24).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1, 2, 3, 4, 5, -6.5f}) assertEquals(v, data.getFloat());
    }

    @Test
    void oneDimensionIsATupleOfOne(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("v.npy");
        Npy.write(f, new long[] {3}, List.of(new float[] {1, 2, 3}));
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", header(Files.readAllBytes(f)));
    }

    @Test
    void aShapeThatDisagreesWithTheValuesIsRefusedAndWritesNothing(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.npy");
        assertThrows(IllegalArgumentException.class, () -> Npy.write(f, new long[] {2, 2}, List.of(new float[] {1, 2, 3})));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void numpyLoadsIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("n.npy");
        float[] values = new float[2 * 70 * 3];
        for (int i = 0; i < values.length; i++) values[i] = i * 0.25f - 7;
        Npy.write(f, new long[] {2, 70, 3}, List.of(values));
        String got = python("import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, repr(float(a[1, 69, 2])), repr(float(a.sum())))", f);
        double sum = 0;
        for (float v : values) sum += v;
        assertEquals("float32 (2, 70, 3) " + (double) values[values.length - 1] + " " + sum, got);
    }

    /** The output of python3 running {@code code} with {@code arg}; skips the test where python3 with NumPy is missing. */
    static String python(String code, Path arg) throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no python3 here");
            return null;
        }
        assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "no NumPy for python3 here");
        Process p = new ProcessBuilder("python3", "-c", code, arg.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
