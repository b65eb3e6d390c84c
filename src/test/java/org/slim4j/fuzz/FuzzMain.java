package org.slim4j.fuzz;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Fuzzes one target class in this JVM: Jazzer fuzzes a single {@code @FuzzTest} per process, so {@link FuzzCiTest}
 * and scripts/fuzz.sh start one JVM per target with JAZZER_FUZZ=1 and JAZZER_MAX_DURATION set. The generated
 * corpus goes under the folder given second ({@code <folder>/.cifuzz-corpus/<class>/<method>}); exit code 1 on a
 * finding.
 */
public final class FuzzMain {
    static final int INPUT_TIMEOUT_SECONDS = 180; // a reader that loops; the shared 2-core machines stalled a JVM for up to 2 minutes

    private FuzzMain() {}

    public static void main(String[] args) throws ClassNotFoundException {
        if (args.length != 2) {
            System.err.println("usage: FuzzMain TARGET_CLASS WORK_FOLDER");
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(Class.forName(args[0])))
                .configurationParameter("jazzer.internal.basedir", args[1])
                // recipes and compressed-tensors configs hold regexes by design; a bad one must be reported, which the
                // targets check, so Jazzer's regex-injection finding on every PatternSyntaxException is noise here
                .configurationParameter("jazzer.disabled_hooks", "com.code_intelligence.jazzer.sanitizers.RegexInjection")
                // libFuzzer's own flags: an input that runs longer than this is a hang; reproducers go to the work folder
                .configurationParameter("jazzer.internal.arg.0", "fuzz")
                .configurationParameter("jazzer.internal.arg.1", "-timeout=" + INPUT_TIMEOUT_SECONDS)
                .configurationParameter("jazzer.internal.arg.2", "-artifact_prefix=" + Path.of(args[1]).toAbsolutePath() + "/")
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        summary.getSummary().printFailuresTo(new PrintWriter(System.out, true), 40);
        long failed = summary.getSummary().getTotalFailureCount();
        long ran = summary.getSummary().getTestsSucceededCount() + failed;
        System.out.println("fuzz target " + args[0] + ": " + (ran == 0 ? "nothing ran" : failed == 0 ? "no finding" : failed + " finding(s)"));
        System.exit(ran == 0 || failed > 0 ? 1 : 0);
    }
}
