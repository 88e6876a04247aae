package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.sqrt;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.Group;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel of a norm_residual group: one block per row computes the residual sum (the group's pointwise
 * prologue, usually one add), writes it where it is materialised, and normalises it as {@link RmsNorm} does, with
 * the same fp32 sums and reduction. In the vector form ({@link RmsNorm#vectors}) each thread keeps its 16-byte vectors'
 * sums in registers for the second pass; in the scalar form the sum is recomputed from the inputs rather than read back.
 * Either way both passes see the same fp32 values, and nothing depends on its stored (possibly bf16) copy.
 */
final class NormResidual {
    private NormResidual() {}

    static GroupKernel generate(Graph g, Group group, Precision p) {
        Node norm = group.nodes(Primitive.RMSNORM).getLast();
        List<Node> prologue = group.nodes().stream().filter(n -> n != norm).toList();
        int sum = norm.operands().getFirst();
        long width = g.value(sum).type().channels();
        double eps = norm.floatAttr("eps");
        Optional<RmsNorm.Vectors> vectors = RmsNorm.vectors(width, p);
        int threads = RmsNorm.threadsPerRow(width, p);
        ElementProgram program = new ElementProgram(width, group.inputs(), prologue);
        List<Integer> stored = group.materialised();
        Scalar st = p.storage();
        String shape = Signature.shape("B", "L", width);
        String structure = program.signature(stored.stream().filter(program::computes).toList()) + ";rmsnorm eps " + eps
                + (stored.contains(norm.results().getFirst()) ? " stored" : "");
        String entry = "norm_residual_c" + width + "_" + program.opNames() + "_" + ElementwiseChain.shortHash(structure) + "_" + p.suffix();
        Signature sig = new Signature(entry, threads);
        Map<String, Binding> bindings = new LinkedHashMap<>();
        List<Var> x = sig.valueInputs(g, group.inputs(), st, bindings);
        Var scale = sig.input("scale", st, "weight scale [" + width + "]");
        bindings.put("scale", new Binding.Weight(norm.weights().get("scale")));
        Map<Integer, Var> y = new LinkedHashMap<>();
        for (int m = 0; m < stored.size(); m++) {
            int v = stored.get(m);
            String holds = "result " + shape + " = " + (program.computes(v) ? program.nameOf(v) : "normalised " + program.nameOf(sum));
            y.put(v, sig.output("y" + m, st, holds));
            bindings.put("y" + m, new Binding.Value(v));
        }
        List<Var> by = sig.scaleFactors(program.scales(), bindings);
        Var partial = sig.k.shared("partial", Scalar.FLOAT, threads);

        Scope s = sig.k.body();
        Var normed = y.get(norm.results().getFirst());
        List<Integer> computed = y.keySet().stream().filter(program::computes).toList();
        List<Integer> firstPass = new ArrayList<>(computed);
        firstPass.add(sum);
        List<String> about = new ArrayList<>();
        Launch launch = new Launch(Extent.rows(), Extent.of(1), Extent.of(1), threads, 1, 1);
        if (vectors.isPresent()) {
            int lanes = vectors.get().lanes();
            RmsNorm.vectorRows(s, vectors.get(), width, eps, scale, normed, partial, (body, first, keep) -> {
                List<Var> out = new ArrayList<>();
                for (int v : computed) out.add(VectorAccess.array(body, "out" + out.size(), lanes));
                program.emitLanes(body, first, lanes, x, by, firstPass, (b, j, values) -> {
                    for (int m = 0; m < computed.size(); m++) b.set(out.get(m).at(j), values.get(computed.get(m)));
                    keep.accept(b, j, values.get(sum));
                });
                for (int m = 0; m < computed.size(); m++) body.storeVector(y.get(computed.get(m)), first.index(), VectorAccess.elements(out.get(m), lanes));
            });
            about.add("Fused residual sum and RMS normalisation over " + width + " channels, one block per row, " + lanes + " channels per 16-byte access,"
                    + " fp32 arithmetic:");
        } else {
            Var tid = s.let("tid", threadIdx(Axis.X));
            Var row = s.let("row", blockIdx(Axis.X).cast(Scalar.INT64));
            Var base = s.let("base", row.mul(width));
            Var sumSq = s.var("sum_sq", Scalar.FLOAT, lit(0.0f));
            s.loop("c", tid, lit(width), lit(threads), (c, body) -> {
                Var i = body.let("i", base.add(c));
                Map<Integer, Expr> values = program.emit(body, new ElementProgram.At(i, row, c), x, by, firstPass);
                for (int v : computed) body.store(y.get(v), i, values.get(v));
                Expr v = values.get(sum);
                body.inc(sumSq, v.mul(v));
            });
            Expr rowSumSq = BlockReduce.tree(s, partial, tid, threads, sumSq, Expr::add, "the row's sum of squares");
            Var denom = s.let("denom", sqrt(rowSumSq.div(lit((float) width))).add(lit((float) eps)));
            s.loop("c", tid, lit(width), lit(threads), (c, body) -> {
                Var i = body.let("i", base.add(c));
                Expr v = program.emit(body, new ElementProgram.At(i, row, c), x, by, List.of(sum)).get(sum);
                body.store(normed, i, load(scale, c).mul(v.div(denom)));
            });
            about.add("Fused residual sum and RMS normalisation over " + width + " channels, one block per row, fp32 arithmetic:");
        }
        for (String f : program.formulas()) about.add("  " + f);
        about.add("  normalised = scale * " + program.nameOf(sum) + " / (rms(" + program.nameOf(sum) + ") + " + eps + "), eps added to the RMS;");
        about.add(vectors.isPresent() ? "fp32 sums of squares reduced in shared memory; the sum kept in registers for the second pass, not re-read."
                : "fp32 sums of squares reduced in shared memory; the sum is recomputed, not re-read, for the second pass.");
        return new GroupKernel(sig.build("norm_residual", launch, about), bindings);
    }
}
