package hyenac.backends.cpu;

/** Argument checks shared by the kernels: a wrong size is a caller bug, reported with the tensor's name. */
final class Check {
    private Check() {}

    static void positive(String what, long n) {
        if (n < 1) throw new IllegalArgumentException(what + " must be at least 1, got " + n);
    }

    static void size(String what, float[] a, long expected) {
        if (a == null) throw new IllegalArgumentException(what + " is missing");
        if (a.length != expected) {
            throw new IllegalArgumentException(what + " has " + a.length + " elements, expected " + expected);
        }
    }

    /** An optional tensor: null is fine, otherwise it must have the expected size. */
    static void sizeOrNull(String what, float[] a, long expected) {
        if (a != null) size(what, a, expected);
    }

    static void divides(String what, long whole, long part) {
        if (part < 1 || whole % part != 0) {
            throw new IllegalArgumentException(what + ": " + whole + " is not a multiple of " + part);
        }
    }
}
