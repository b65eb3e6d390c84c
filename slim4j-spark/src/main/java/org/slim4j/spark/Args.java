package org.slim4j.spark;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slim4j.util.BadInputException;

/** {@code --name value} pairs of the example jobs, each name checked against the ones the job takes. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] args, Set<String> names) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || !names.contains(a.substring(2))) {
                throw new BadInputException("arguments", a, "is not an option (options: --" + String.join(", --", names.stream().sorted().toList()) + ")");
            }
            if (i + 1 == args.length) throw new BadInputException("arguments", a, "needs a value");
            values.put(a.substring(2), args[++i]);
        }
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) throw new BadInputException("arguments", "--" + name, "is required");
        return v;
    }

    int integer(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v);
            if (n < min) throw new BadInputException("arguments", "--" + name, "must be >= " + min + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new BadInputException("arguments", "--" + name, "'" + v + "' is not a whole number");
        }
    }

    /** Runs a job's main: bad input is one line on stderr and exit code 2, as the slim4j CLI does. */
    static void main(Runnable job) {
        try {
            job.run();
        } catch (BadInputException e) {
            System.err.println("slim4j-spark: " + e.getMessage());
            System.exit(2);
        }
    }
}
