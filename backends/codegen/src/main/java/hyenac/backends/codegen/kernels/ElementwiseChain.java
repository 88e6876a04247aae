package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Graph;
import hyenac.ir.fusion.Group;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel of an elementwise group: the group's {@link ElementProgram} over [B, L, C], reading each input once and
 * writing only the group's materialised values. Where rows split into 16-byte vectors ({@link VectorAccess}) a thread
 * takes one vector of every input and output, else one element.
 */
final class ElementwiseChain {
    private ElementwiseChain() {}

    static final int THREADS = Pointwise.THREADS;

    static GroupKernel generate(Graph g, Group group, Precision p) {
        long width = g.value(group.nodes().getFirst().results().getFirst()).type().channels();
        ElementProgram program = new ElementProgram(width, group.inputs(), group.nodes());
        List<Integer> stored = group.materialised();
        Scalar st = p.storage();
        String shape = Signature.shape("B", "L", width);
        String entry = "elementwise_c" + width + "_" + program.opNames() + "_" + shortHash(program.signature(stored)) + "_" + p.suffix();
        Signature sig = new Signature(entry, THREADS);
        Map<String, Binding> bindings = new LinkedHashMap<>();
        List<Var> x = sig.valueInputs(g, group.inputs(), st, bindings);
        List<Var> y = new ArrayList<>();
        for (int m = 0; m < stored.size(); m++) {
            y.add(sig.output("y" + m, st, "result " + shape + " = " + program.nameOf(stored.get(m))));
            bindings.put("y" + m, new Binding.Value(stored.get(m)));
        }
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");
        List<Var> by = sig.scaleFactors(program.scales(), bindings);

        Scope s = sig.k.body();
        List<String> about = new ArrayList<>();
        Launch launch;
        if (VectorAccess.fits(width, p)) {
            int lanes = VectorAccess.lanes(p);
            Var v = Pointwise.globalIndex(s, THREADS, "v");
            s.when(v.ge(rows.mul(width / lanes)), Scope::exit);
            Var i = s.let("i", v.mul(lanes));
            ElementProgram.At first = program.needsRowAndChannel()
                    ? new ElementProgram.At(i, s.let("row", i.div(width)), s.let("c", i.mod(width))) : new ElementProgram.At(i, null, null);
            List<Var> out = new ArrayList<>();
            for (int m = 0; m < stored.size(); m++) out.add(VectorAccess.array(s, "out" + m, lanes));
            program.emitLanes(s, first, lanes, x, by, stored, (b, j, values) -> {
                for (int m = 0; m < stored.size(); m++) b.set(out.get(m).at(j), values.get(stored.get(m)));
            });
            for (int m = 0; m < stored.size(); m++) s.storeVector(y.get(m), i, VectorAccess.elements(out.get(m), lanes));
            about.add("Fused elementwise chain over " + shape + ", one thread per " + lanes + " elements (16-byte loads and stores), each input read once,"
                    + " fp32 arithmetic:");
            launch = Launch.linear(Extent.rows().times(width / lanes).ceilDiv(THREADS), THREADS);
        } else {
            Var i = Pointwise.globalIndex(s, THREADS);
            s.when(i.ge(rows.mul(width)), Scope::exit);
            ElementProgram.At at = program.needsRowAndChannel()
                    ? new ElementProgram.At(i, s.let("row", i.div(width)), s.let("c", i.mod(width))) : new ElementProgram.At(i, null, null);
            Map<Integer, Expr> values = program.emit(s, at, x, by, stored);
            for (int m = 0; m < stored.size(); m++) s.store(y.get(m), i, values.get(stored.get(m)));
            about.add("Fused elementwise chain over " + shape + ", one thread per element, each input read once, fp32 arithmetic:");
            launch = Launch.linear(Extent.rows().times(width).ceilDiv(THREADS), THREADS);
        }
        for (String f : program.formulas()) about.add("  " + f);
        return new GroupKernel(sig.build("elementwise", launch, about), bindings);
    }

    /** Six hex digits of the SHA-256 of a kernel's structure: kernels of one shape share a name, others do not. */
    static String shortHash(String structure) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(structure.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
