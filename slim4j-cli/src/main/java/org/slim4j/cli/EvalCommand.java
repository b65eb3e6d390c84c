package org.slim4j.cli;

import picocli.CommandLine.Command;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measure a model: perplexity, KL divergence to a base model, STS-B Spearman, embedding fidelity.",
        subcommands = {PerplexityCommand.class, KldCommand.class, StsCommand.class, FidelityCommand.class})
final class EvalCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name one of: perplexity, kld, sts, fidelity");
    }
}
