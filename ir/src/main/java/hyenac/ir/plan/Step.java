package hyenac.ir.plan;

import java.util.List;

/** One thing a plan enqueues, over the plan's buffers. */
public sealed interface Step {
    Site site();

    /** Whether it runs once, when the plan is prepared for a shape (work that depends only on weights and sizes). */
    boolean once();

    /** A generated kernel ({@link Plan#kernel(String)}) with its arguments in parameter order. */
    record Launch(String kernel, List<Arg> args, boolean once, Site site) implements Step {
        public Launch { args = List.copyOf(args); }
    }

    /** y[m×n] = x[m×k]·wᵀ (+ bias), w stored [n, k]; {@code bias} −1 for none. A library call (cuBLASLt on CUDA). */
    record Gemm(Size m, long n, long k, int x, int w, int bias, int y, Site site) implements Step {
        @Override public boolean once() { return false; }
    }

    /** {@code batch} real FFTs of {@code n} points, rows of reals ↔ rows of n/2+1 complex bins; fp32, unnormalised. */
    record Fft(int in, int out, Size n, Size batch, boolean forward, boolean once, Site site) implements Step {}

    /**
     * {@code count} copies of {@code bytes} bytes, the i-th from {@code src + srcOffset + i·srcStride} to
     * {@code dst + dstOffset + i·dstStride} (a prompt's keys into the rows of a KV cache, sequence by sequence).
     */
    record Copy(int dst, Size dstOffset, Size dstStride, int src, Size srcOffset, Size srcStride, Size bytes, Size count, Site site)
            implements Step {
        @Override public boolean once() { return false; }
    }

    /** The buffers it reads. */
    default List<Integer> reads(Plan plan) {
        return switch (this) {
            case Launch l -> pointers(plan, l, true);
            case Gemm g -> g.bias() < 0 ? List.of(g.x(), g.w()) : List.of(g.x(), g.w(), g.bias());
            case Fft f -> List.of(f.in());
            case Copy c -> List.of(c.src());
        };
    }

    /** The buffers it writes. */
    default List<Integer> writes(Plan plan) {
        return switch (this) {
            case Launch l -> pointers(plan, l, false);
            case Gemm g -> List.of(g.y());
            case Fft f -> List.of(f.out());
            case Copy c -> List.of(c.dst());
        };
    }

    private static List<Integer> pointers(Plan plan, Launch l, boolean read) {
        List<Kernel.Param> params = plan.kernel(l.kernel()).params();
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Kernel.Param p = params.get(i);
            // a writable pointer counts as a write (a state it also reads was written by an earlier plan)
            if (p.pointer() && p.readOnly() == read && l.args().get(i) instanceof Arg.Buf b) out.add(b.buffer());
        }
        return out;
    }
}
