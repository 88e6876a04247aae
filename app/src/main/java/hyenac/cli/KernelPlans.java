package hyenac.cli;

import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.PlanPrinter;
import hyenac.runtime.exec.DeviceTarget;
import java.util.Arrays;

/** What `graph` and `explain` share to show a GPU target's kernel plan: their --target and --phase, and the plan's text. */
final class KernelPlans {
    private KernelPlans() {}

    /** Why {@code target} and {@code phase} cannot be shown, or null when they can. */
    static String problem(String target, String phase) {
        if (!target.equals("cpu") && DeviceTarget.find(target).isEmpty()) {
            return "no target `" + target + "` in this build; targets: cpu" + (DeviceTarget.find("cuda").isPresent() ? ", cuda" : "");
        }
        if (phase(phase) == null) return "no phase `" + phase + "`; phases: parallel, prefill, step";
        return null;
    }

    /** The device target named, or null for the cpu, which has no plan. */
    static DeviceTarget device(String target) { return target.equals("cpu") ? null : DeviceTarget.find(target).orElseThrow(); }

    static Phase phase(String name) { return Arrays.stream(Phase.values()).filter(p -> p.spelling().equals(name)).findFirst().orElse(null); }

    /** The plan's canonical text, its pool at the shape the pipeline judges the phase at. */
    static String text(Plan plan) { return PlanPrinter.print(plan, KernelPipeline.reference(plan.phase())); }
}
