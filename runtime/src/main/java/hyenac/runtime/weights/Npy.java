package hyenac.runtime.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.StringJoiner;

/**
 * NumPy's {@code .npy} format, version 1.0, for one float32 array: the magic {@code \x93NUMPY}, the version, a
 * little-endian 16-bit header length, a Python dict literal ({@code descr '<f4'}, C order, the shape) padded with
 * spaces to end in a newline at a multiple of 64 bytes, then the values in C order, little-endian.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy aligns the data to 64 bytes (its format's documented alignment since 1.x). */
    private static final int ALIGN = 64;
    private static final int PREAMBLE = MAGIC.length + 2 + 2;

    private Npy() {}

    /** The header of a float32 array of {@code shape}: everything before the data. */
    public static byte[] header(long[] shape) {
        StringJoiner dims = new StringJoiner(", ", "(", shape.length == 1 ? ",)" : ")");
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d);
            dims.add(Long.toString(d));
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";
        int padded = ((PREAMBLE + dict.length() + 1 + ALIGN - 1) / ALIGN) * ALIGN;
        int headerLength = padded - PREAMBLE;
        if (headerLength > 0xffff) throw new IllegalArgumentException("a shape of " + shape.length + " dimensions does not fit a version 1.0 header");
        ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLength).put(dict.getBytes(StandardCharsets.US_ASCII));
        while (b.position() < padded - 1) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /**
     * Writes a float32 array of {@code shape} whose values are {@code parts} back to back (so an array larger than one
     * Java array can be written). The file appears atomically: written beside it, then renamed.
     *
     * @throws WeightsException when the file cannot be written
     */
    public static void write(Path path, long[] shape, List<float[]> parts) {
        long count = 1;
        for (long d : shape) count = Math.multiplyExact(count, d);
        long given = parts.stream().mapToLong(p -> p.length).sum();
        if (given != count) throw new IllegalArgumentException("shape needs " + count + " values, " + given + " were given");
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header(shape)));
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] part : parts) {
                    for (float v : part) {
                        if (!buf.hasRemaining()) {
                            writeFully(ch, buf.flip());
                            buf.clear();
                        }
                        buf.putFloat(v);
                    }
                }
                writeFully(ch, buf.flip());
                ch.force(true);  // the rename must not become visible before the bytes are on disk
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot write: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
