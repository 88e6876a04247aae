package hyenac.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GraphSliceTest {
    /**
     * x → a = gelu(x) → b = silu(a) → c = add(a, b), and beside them d = relu(x), which c does not read; the nodes
     * producing a, b, c and d have ids 0 to 3.
     */
    private static final Graph G;
    private static final int X, A, B, C, D;

    static {
        Graph.Builder g = new Graph.Builder();
        X = g.newValue(TensorType.activation(DType.FP32, 4));
        A = g.newValue(TensorType.activation(DType.FP32, 4));
        B = g.newValue(TensorType.activation(DType.FP32, 4));
        C = g.newValue(TensorType.activation(DType.FP32, 4));
        D = g.newValue(TensorType.activation(DType.FP32, 4));
        g.input(X).output(C).output(D);
        node(g, "gelu", List.of(X), A);
        node(g, "silu", List.of(A), B);
        node(g, "add", List.of(A, B), C);
        node(g, "relu", List.of(X), D);
        G = g.build();
    }

    private static void node(Graph.Builder g, String op, List<Integer> operands, int result) {
        g.add(new Node(g.nextNodeId(), op, Map.of(), operands, List.of(result), Map.of(), "", List.of()));
    }

    private static List<Integer> ids(List<Node> nodes) { return nodes.stream().map(Node::id).toList(); }

    @Test
    void fromTheInputsASliceHoldsEveryProducerBackToThemInGraphOrder() {
        assertEquals(List.of(0, 1, 2), ids(G.slice(Set.of(), List.of(C))));
        assertEquals(List.of(0, 1, 2, 3), ids(G.slice(Set.of(), List.of(D, C))), "graph order, not the order wanted");
        assertEquals(List.of(3), ids(G.slice(Set.of(), List.of(D))), "nodes the wanted values do not read stay out");
    }

    @Test
    void givenValuesAreNotRecomputedNorIsAnythingOnlyTheyNeed() {
        assertEquals(List.of(1, 2), ids(G.slice(Set.of(A), List.of(C))));
        assertEquals(List.of(2), ids(G.slice(Set.of(A, B), List.of(C))));
        assertEquals(List.of(), ids(G.slice(Set.of(C), List.of(C))), "a wanted value that is given needs nothing");
    }

    @Test
    void wantingAnInputOrNothingNeedsNoNodes() {
        assertEquals(List.of(), G.slice(Set.of(), List.of(X)));
        assertEquals(List.of(), G.slice(Set.of(), List.of()));
    }
}
