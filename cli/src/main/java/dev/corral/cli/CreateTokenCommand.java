package dev.corral.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.output.Printer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code corral create token}: mints a bearer token (admins only) and prints its secret, which is shown only now. */
@Command(name = "token", description = "Create a bearer token (admin) and print it: it is shown only once.",
        footer = {"", "Examples:", "  corral create token --role viewer --project web --expires 30d",
                "  corral create token ci --service-account --role member --project web",
                "  corral create token --role node --node host-7", "  corral create token alice --role admin --expires 12h"})
final class CreateTokenCommand implements Callable<Integer> {

    private static final Pattern RELATIVE = Pattern.compile("(\\d+)([smhd])");

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "SUBJECT", arity = "0..1",
            description = "Who will hold it (default: the node for a node token, else ROLE@PROJECT or ROLE).")
    String subject;

    @Option(names = "--role", required = true, paramLabel = "ROLE", description = "admin, member, viewer or node.")
    String role;

    @Option(names = "--node", paramLabel = "NODE", description = "The node a node token is for.")
    String node;

    @Option(names = "--service-account", description = "The subject is a service account, not a user.")
    boolean serviceAccount;

    @Option(names = "--expires", paramLabel = "WHEN", description = "When it stops working: 30d, 12h, 90m, 3600s, or an RFC 3339 time (default: never).")
    String expires;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the whole token instead of its secret.")
    String output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        boolean inProject = role.equals("member") || role.equals("viewer");
        var body = CorralClient.JSON.createObjectNode();
        body.put("role", role);
        if (inProject) {
            body.put("project", options.project());
        }
        if (node != null) {
            body.put("node", node);
        }
        String who = subject != null ? subject : role.equals("node") ? null : inProject ? role + "@" + options.project() : role;
        if (who != null) {
            body.put("subject", who);
        }
        if (serviceAccount) {
            body.put("subjectKind", "ServiceAccount");
        }
        if (expires != null) {
            body.put("expiresAt", expiry(expires).toString());
        }
        var token = options.client().send("POST", "/v1/tokens", Map.of(), body, Map.of()).body();
        var out = spec.commandLine().getOut();
        if (output != null) {
            switch (Printer.format(output)) {
                case json -> Printer.json(out, token);
                case yaml -> Printer.yaml(out, token);
                default -> throw new CommandLine.ParameterException(spec.commandLine(), "-o takes json or yaml for a token");
            }
        } else {
            out.println(token.path("token").asText());
        }
        out.flush();
        return 0;
    }

    private Instant expiry(String value) {
        var m = RELATIVE.matcher(value.strip());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            var unit = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return Instant.now().plus(unit);
        }
        try {
            return Instant.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--expires takes a duration such as 30d, 12h, 90m or 3600s, or an RFC 3339 time, not '" + value + "'");
        }
    }
}
