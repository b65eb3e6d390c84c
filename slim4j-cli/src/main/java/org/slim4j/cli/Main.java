package org.slim4j.cli;

import java.io.PrintWriter;
import org.slim4j.util.BadInputException;
import org.slim4j.util.Threads;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The slim4j command line: a thin layer over the Java API. */
@Command(name = "slim4j", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Compress neural networks and run them fast on the JVM.",
            "With no command, the main job on the embedded default model (all-MiniLM-L6-v2): slim4j against ONNX Runtime,",
            "then `compress` with the best 4-bit recipe and its before/after table."},
        subcommands = {InspectCommand.class, GenerateCommand.class, EmbedCommand.class, EvalCommand.class,
            BenchCommand.class, SynthCommand.class, ConvertCommand.class, CompressCommand.class, ImatrixCommand.class, ShrinkCommand.class, ServeCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean verbose;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads for the default job (default: all cores).")
    int threads;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        Threads.check(threads);
        int code = new DefaultJob(cl.getOut(), threads).call();
        if (code != 0) return code;
        cl.getOut().printf("%n== slim4j compress (no arguments): all-MiniLM-L6-v2 with %s, calibrated layer by layer on STS-B train%n%n", org.slim4j.compress.pipeline.Compression.BEST);
        return cl.getSubcommands().get("compress").execute(threads > 0 ? new String[] {"-t", String.valueOf(threads)} : new String[0]);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true), err = new PrintWriter(System.err, true);
        int code = run(args, out, err);
        out.flush(); // print() without a newline is not auto-flushed, and System.exit does not flush
        err.flush();
        System.exit(code);
    }

    /** Runs the CLI with the given streams and returns the exit code (0 ok, 2 bad input, 1 anything else). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            // An unknown flag is the likelier mistake than the required options it pushed out; name it first.
            var parsed = ex.getCommandLine().getParseResult();
            String msg = parsed != null && !parsed.unmatched().isEmpty()
                    ? "unknown option or argument: " + String.join(" ", parsed.unmatched())
                    : firstLine(ex.getMessage());
            err.println("slim4j: " + msg + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose") || main.verbose || hasVerbose(args);
            int code = ex instanceof BadInputException || ex instanceof IllegalArgumentException ? 2 : 1;
            err.println("slim4j: " + (code == 2 ? "" : "error: ") + firstLine(describe(ex)));
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return code;
        });
        try {
            return cl.execute(args);
        } catch (Error e) { // picocli's handler sees only exceptions: out of memory and JVM faults end here
            err.println("slim4j: error: " + firstLine(describe(e)));
            if (main.verbose || hasVerbose(args)) e.printStackTrace(err);
            err.flush();
            return 1;
        }
    }

    private static boolean hasVerbose(String[] args) {
        for (String a : args) if (a.equals("--verbose")) return true;
        return false;
    }

    /** What went wrong, with what to do where the Java name would not say: errors are not the user's input. */
    private static String describe(Throwable ex) {
        if (ex instanceof OutOfMemoryError) {
            long mb = Runtime.getRuntime().maxMemory() >> 20;
            String limit = System.getProperty("slim4j.heap.source") != null
                    ? "the heap is limited to " + mb + " MB (" + (System.getProperty("slim4j.heap.source").isEmpty() ? "./slim4j sets it from the models' sizes" : "SLIM4J_HEAP") + ")"
                    : "the heap is limited to " + mb + " MB";
            // ForkJoinTask rethrows a worker's error as a new one without its message: the cause has it
            String what = ex.getMessage() != null ? ex.getMessage() : ex.getCause() != null ? ex.getCause().getMessage() : null;
            return "out of memory" + (what != null ? " (" + what + ")" : "") + ": " + limit + "; give it more (SLIM4J_HEAP=16g ./slim4j ..., or java -Xmx16g), or use a smaller model, context or batch";
        }
        if (ex instanceof StackOverflowError) return "stack overflow: the input nests too deeply (run with --verbose to see where)";
        // HotSpot turns a fault in a memory-mapped file (SIGBUS: the file shrank underneath) into an InternalError
        if (ex instanceof InternalError && String.valueOf(ex.getMessage()).contains("unsafe memory access")) {
            return "a memory-mapped model file was truncated or replaced while in use; restore it and run again";
        }
        String m = ex.getMessage();
        // "writing PATH" alone hid why: a full disk, a read-only folder
        if (ex instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            Throwable c = u.getCause();
            String why = c instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : c instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getFile() + ": " + f.getReason() : c.getMessage();
            return m + " (" + why + ")";
        }
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    /** The first line, control characters escaped (a message may quote bytes of a corrupted file). */
    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return BadInputException.printable(nl < 0 ? s : s.substring(0, nl));
    }
}
