package dev.corral.controlplane.console;

import dev.corral.controlplane.problem.InvalidException;

/**
 * What a console request asks for.
 *
 * @param follow    keep the answer open and stream what the guest writes next
 * @param tailLines only the last this many lines of what the agent holds; null for all of it
 */
public record ConsoleQuery(boolean follow, Integer tailLines) {

    /** The query parameters as sent; a malformed one is a 400 naming it. */
    public static ConsoleQuery parse(String follow, String tailLines) {
        return new ConsoleQuery(parseFollow(follow), parseTailLines(tailLines));
    }

    private static boolean parseFollow(String follow) {
        if (follow == null || follow.isEmpty() || follow.equals("false")) {
            return false;
        }
        if (follow.equals("true")) {
            return true;
        }
        throw InvalidException.field("follow", "must be true or false, not '" + follow + "'");
    }

    private static Integer parseTailLines(String tailLines) {
        if (tailLines == null || tailLines.isEmpty()) {
            return null;
        }
        try {
            int n = Integer.parseInt(tailLines);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below, with the negative numbers
        }
        throw InvalidException.field("tailLines", "must be a whole number of lines, 0 or more, not '" + tailLines + "'");
    }
}
