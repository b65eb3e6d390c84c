package org.slim4j.cli;

import java.nio.file.Path;
import org.slim4j.eval.StsB;
import org.slim4j.util.DataFiles;
import picocli.CommandLine.Option;

/** The STS-B split the encoder commands evaluate on. */
final class EncoderDataOptions {
    @Option(names = "--stsb", paramLabel = "TSV", description = "STS-B file (default: stsb-dev.tsv from $SLIM4J_DATA or ../shared/data).")
    Path stsb;

    StsB read() {
        return StsB.read(stsb != null ? stsb : DataFiles.find("stsb-dev.tsv"));
    }
}
