package dev.corral.cli;

import picocli.CommandLine;

/** The CLI's own release, from its jar manifest (Implementation-Version); "development" when run from classes. */
final class ClientVersion {
    private ClientVersion() {
    }

    static String get() {
        String v = Corral.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"corral " + get()};
        }
    }
}
