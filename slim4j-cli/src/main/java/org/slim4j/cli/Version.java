package org.slim4j.cli;

import picocli.CommandLine.IVersionProvider;

final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"slim4j " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
    }
}
