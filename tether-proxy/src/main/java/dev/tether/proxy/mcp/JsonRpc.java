package dev.tether.proxy.mcp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Strict JSON-RPC 2.0 parsing and error construction. Strict because the proxy and the MCP server
 * must read a message the same way: duplicate keys (where parsers disagree on which value wins),
 * trailing garbage and invalid UTF-8 are refused rather than guessed at.
 */
public final class JsonRpc {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int INVALID_PARAMS = -32602;
    /** Implementation-defined server error range: the request was refused by tether's policy. */
    public static final int DENIED_BY_POLICY = -32001;
    /** The upstream MCP server did not answer in time. */
    public static final int UPSTREAM_TIMEOUT = -32002;
    /** The message is too large for tether to inspect, so it is refused (never passed unjudged). */
    public static final int TOO_LARGE = -32003;

    private static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    // Size is bounded by the proxy's inspection limit, not by Jackson's 20 MB string
                    // default: a large argument must be judged, not refused as "malformed".
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private JsonRpc() {}

    public static ObjectMapper mapper() {
        return STRICT;
    }

    /** Parses strictly; the exception message says what is wrong and where. */
    public static JsonNode parse(byte[] bytes, int offset, int length) throws IOException {
        try (JsonParser p = STRICT.getFactory().createParser(bytes, offset, length)) {
            JsonNode n = STRICT.readTree(p);
            if (n == null || n.isMissingNode()) throw new IOException("empty message");
            return n;
        }
    }

    public static JsonNode parse(byte[] bytes) throws IOException {
        return parse(bytes, 0, bytes.length);
    }

    public static byte[] write(JsonNode node) {
        try {
            return STRICT.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode error(JsonNode id, int code, String message, JsonNode data) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode err = f.objectNode();
        err.put("code", code);
        err.put("message", message);
        if (data != null) err.set("data", data);
        ObjectNode o = f.objectNode();
        o.put("jsonrpc", "2.0");
        o.set("id", id == null ? NullNode.getInstance() : id);
        o.set("error", err);
        return o;
    }

    /** A short, single-line description of a parse failure, without echoing the input. */
    public static String describe(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl > 0 ? m.substring(0, nl) : m;
    }
}
