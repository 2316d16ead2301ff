package dev.tether.learn.suggest;

import java.util.List;

/**
 * One statement of a suggested policy.
 *
 * @param id the statement's {@code @id}
 * @param kind what it grants
 * @param agent the agent it is for ({@code principal == Agent::"<agent>"})
 * @param action the Cedar action name
 * @param resources what it names: paths, {@code Dir} paths ending in /, {@code host:port},
 *     {@code *.zone:port}, MCP tools
 * @param summary the evidence, as written in the comment above the statement
 * @param cedar the statement's text, its comment included
 * @param evidence the events it was learned from, all together
 */
public record SuggestedStatement(String id, Kind kind, String agent, String action, List<String> resources,
        String summary, String cedar, Evidence evidence) {
    public SuggestedStatement {
        resources = List.copyOf(resources);
    }

    public enum Kind {
        /** A directory granted as a whole ({@code Dir::}). */
        DIRECTORY("directory-group"),
        /** Single files. */
        FILES("files"),
        /** One program, with its arguments where they were narrow. */
        PROGRAM("program"),
        /** One host or address, with its ports. */
        HOST("host"),
        /** Several subdomains as {@code *.zone}. */
        ZONE("domain-group"),
        /** The tools of one MCP server. */
        MCP_SERVER("mcp-server");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        /** The name in JSON (Leash's names where Leash has the kind: directory-group, domain-group). */
        public String wireName() {
            return wireName;
        }
    }
}
