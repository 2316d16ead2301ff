package dev.tether.events;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The JSON form of an {@link Event}: the schema in {@code docs/events.md}. {@link Event} carries
 * the serializer and deserializer as annotations, so any Jackson {@link ObjectMapper} (the REST
 * API's, the live stream's) writes the same form; this class is the convenient codec for one line.
 *
 * <p>Fields that are absent (null, zero pid, empty lists) are omitted to keep events small. Times
 * are ISO-8601 UTC with all nine fraction digits: exact to the nanosecond, and safe for
 * JavaScript, whose numbers cannot hold nanoseconds since the epoch.
 */
public final class EventJson {
    /** Schema version; a reader that sees a higher one may meet fields it does not know. */
    public static final int SCHEMA_VERSION = 1;

    private final ObjectMapper mapper;
    /** Holds the event deserializer once looked up: a mapper looks it up by type on every readValue. */
    private final ObjectReader eventReader;

    public EventJson() {
        this.mapper = JsonMapper.builder().build();
        this.eventReader = mapper.readerFor(Event.class);
    }

    /** The mapper used for events and details; thread-safe. */
    public ObjectMapper mapper() {
        return mapper;
    }

    public String write(Event event) {
        EventWriter w = new EventWriter(512);
        w.write(event);
        return new String(w.array(), 0, w.length(), java.nio.charset.StandardCharsets.UTF_8);
    }

    public byte[] writeBytes(Event event) {
        EventWriter w = new EventWriter(512);
        w.write(event);
        return w.toByteArray();
    }

    /** Parses one event; {@link EventFormatException} says what is wrong with the input. */
    public Event read(String json) {
        try {
            return notNull(eventReader.readValue(json));
        } catch (JsonProcessingException e) {
            throw new EventFormatException(e.getOriginalMessage(), e);
        }
    }

    public Event read(byte[] json) {
        try {
            return notNull(eventReader.readValue(json));
        } catch (JsonProcessingException e) {
            throw new EventFormatException(e.getOriginalMessage(), e);
        } catch (IOException e) {
            // Nothing is read from a device here: the only other failure is text Jackson cannot
            // decode (e.g. bytes it takes for UTF-32 that are not), which is bad input like any other.
            throw new EventFormatException("not JSON text: " + e.getMessage(), e);
        }
    }

    /** Jackson reads the JSON literal {@code null} as no value; for an event reader that is bad input. */
    private static Event notNull(Event e) {
        if (e == null) {
            throw new EventFormatException("null is not an event: an event is a JSON object", null);
        }
        return e;
    }

    /** Event time as ISO-8601 UTC with nine fraction digits, e.g. {@code 2025-11-27T03:41:07.123456789Z}. */
    public static String formatTime(long timeNs) {
        long sec = Math.floorDiv(timeNs, 1_000_000_000L);
        int nano = (int) Math.floorMod(timeNs, 1_000_000_000L);
        long day = Math.floorDiv(sec, 86_400L);
        int secOfDay = (int) Math.floorMod(sec, 86_400L);
        LocalDate date = LocalDate.ofEpochDay(day);
        if (date.getYear() < 0 || date.getYear() > 9999) {
            return Instant.ofEpochSecond(sec, nano).toString();
        }
        char[] c = new char[30];
        digits(c, 0, date.getYear(), 4);
        c[4] = '-';
        digits(c, 5, date.getMonthValue(), 2);
        c[7] = '-';
        digits(c, 8, date.getDayOfMonth(), 2);
        c[10] = 'T';
        digits(c, 11, secOfDay / 3600, 2);
        c[13] = ':';
        digits(c, 14, secOfDay / 60 % 60, 2);
        c[16] = ':';
        digits(c, 17, secOfDay % 60, 2);
        c[19] = '.';
        digits(c, 20, nano, 9);
        c[29] = 'Z';
        return new String(c);
    }

    /** Inverse of {@link #formatTime}; accepts any ISO-8601 instant. */
    public static long parseTime(String iso) {
        long fast = parseWrittenForm(iso);
        if (fast != Long.MIN_VALUE) {
            return fast;
        }
        Instant t = Instant.parse(iso);
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    /**
     * The form {@link #formatTime} writes ({@code 2025-11-27T03:41:07.123456789Z}), read without
     * {@code DateTimeFormatter}: reading the audit store back parses one per event, and the
     * general parser was a fifth of the control plane's feed. Anything else: {@code Long.MIN_VALUE}
     * (the general parser decides, and explains).
     */
    private static long parseWrittenForm(String s) {
        if (s == null || s.length() != 30 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != '.' || s.charAt(29) != 'Z') {
            return Long.MIN_VALUE;
        }
        int year = number(s, 0, 4);
        int month = number(s, 5, 2);
        int day = number(s, 8, 2);
        int hour = number(s, 11, 2);
        int minute = number(s, 14, 2);
        int second = number(s, 17, 2);
        int nano = number(s, 20, 9);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > lengthOfMonth(year, month)
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || nano < 0) {
            return Long.MIN_VALUE;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        long sec = epochDay * 86_400L + hour * 3_600L + minute * 60L + second;
        return sec * 1_000_000_000L + nano; // years 0-9999 fit: no overflow
    }

    private static int lengthOfMonth(int year, int month) {
        return java.time.YearMonth.of(year, month).lengthOfMonth();
    }

    /** The decimal number in {@code s[at, at+width)}, or -1 when a character is not a digit. */
    private static int number(String s, int at, int width) {
        int v = 0;
        for (int i = at; i < at + width; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** Writes the documented form; registered on {@link Event}. */
    public static final class Serializer extends StdSerializer<Event> {
        private static final long serialVersionUID = 1L;

        public Serializer() {
            super(Event.class);
        }

        @Override
        public void serialize(Event e, JsonGenerator g, SerializerProvider provider) throws IOException {
            // One encoder for every path, so the REST API, the store and exports cannot drift apart.
            EventWriter w = new EventWriter(512);
            w.write(e);
            g.writeRawValue(new String(w.array(), 0, w.length(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** Reads the documented form; unknown fields are skipped (newer writers may add some). */
    public static final class Deserializer extends StdDeserializer<Event> {
        private static final long serialVersionUID = 1L;

        public Deserializer() {
            super(Event.class);
        }

        @Override
        public Event deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                return (Event) ctxt.handleUnexpectedToken(Event.class, p);
            }
            Long timeNs = null;
            String session = null;
            String principal = null;
            EventLayer layer = null;
            EventKind kind = null;
            String resource = null;
            Verdict decision = Verdict.NONE;
            List<String> policies = List.of();
            String reason = null;
            Integer errno = null;
            int pid = 0;
            int ppid = 0;
            int tid = 0;
            String comm = null;
            String exe = null;
            long cgroup = 0;
            Set<EventFlag> flags = EnumSet.noneOf(EventFlag.class);
            JsonNode detail = null;
            EventDetail detailValue = null;
            for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                JsonToken t = p.nextToken();
                switch (name) {
                    case "time" -> {
                        try {
                            timeNs = parseTime(p.getValueAsString());
                        } catch (DateTimeParseException | ArithmeticException | NullPointerException ex) {
                            throw ctxt.weirdStringException(p.getText(), Event.class, "time is not an ISO-8601 instant");
                        }
                    }
                    case "session" -> session = text(p, ctxt);
                    case "principal" -> principal = text(p, ctxt);
                    case "layer" -> {
                        String s = p.getValueAsString();
                        layer = EventLayer.fromJsonName(s).orElseThrow(
                                () -> ctxt.weirdStringException(s, EventLayer.class, "unknown layer"));
                    }
                    case "action" -> {
                        String s = p.getValueAsString();
                        kind = EventKind.fromJsonName(s).orElseThrow(
                                () -> ctxt.weirdStringException(s, EventKind.class, "unknown action"));
                    }
                    case "resource" -> resource = text(p, ctxt);
                    case "decision" -> {
                        String s = p.getValueAsString();
                        decision = Verdict.fromJsonName(s).orElseThrow(
                                () -> ctxt.weirdStringException(s, Verdict.class, "unknown decision"));
                    }
                    case "policies" -> policies = strings(p, ctxt);
                    case "reason" -> reason = text(p, ctxt);
                    case "errno" -> errno = t == JsonToken.VALUE_NULL ? null : p.getIntValue();
                    case "pid" -> pid = p.getIntValue();
                    case "ppid" -> ppid = p.getIntValue();
                    case "tid" -> tid = p.getIntValue();
                    case "comm" -> comm = text(p, ctxt);
                    case "exe" -> exe = text(p, ctxt);
                    case "cgroup" -> cgroup = p.getLongValue();
                    case "flags" -> {
                        for (String s : strings(p, ctxt)) {
                            flags.add(EventFlag.fromJsonName(s).orElseThrow(
                                    () -> ctxt.weirdStringException(s, EventFlag.class, "unknown flag")));
                        }
                    }
                    case "detail" -> {
                        if (t == JsonToken.VALUE_NULL) {
                            detail = null;
                            detailValue = null;
                        } else if (kind != null) {
                            // The writer puts "action" first: the detail's type is known, read it directly.
                            detailValue = ctxt.readValue(p, kind.detailType());
                            detail = null;
                        } else {
                            detail = ctxt.readTree(p);
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (timeNs == null) {
                return (Event) ctxt.reportInputMismatch(Event.class, "event has no \"time\"");
            }
            if (kind == null) {
                return (Event) ctxt.reportInputMismatch(Event.class, "event has no \"action\"");
            }
            if (layer == null) {
                return (Event) ctxt.reportInputMismatch(Event.class, "event has no \"layer\"");
            }
            if (detailValue != null && !kind.detailType().isInstance(detailValue)) {
                // "action" given twice, the detail read for the first one
                return (Event) ctxt.reportInputMismatch(Event.class, "the detail does not belong to action \"%s\"",
                        kind.jsonName());
            }
            EventDetail d = detail != null ? ctxt.readTreeAsValue(detail, kind.detailType()) : detailValue;
            return new Event(timeNs, session, principal, layer, kind, resource, decision, policies, reason, errno,
                    pid, ppid, tid, comm, exe, cgroup, flags, d);
        }

        /**
         * A text field: a string (or another scalar, as its text) or null. An object or array is
         * refused: reading on inside it would take its members for the event's own fields.
         */
        private static String text(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            if (!t.isScalarValue()) {
                return ctxt.reportInputMismatch(String.class, "\"%s\" must be a string, not %s",
                        p.currentName(), t.asString() == null ? t.name() : t.asString());
            }
            return p.getValueAsString();
        }

        private static List<String> strings(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NULL) {
                return List.of();
            }
            if (p.currentToken() != JsonToken.START_ARRAY) {
                return List.of((String) ctxt.handleUnexpectedToken(String.class, p));
            }
            List<String> out = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t == JsonToken.VALUE_NULL || !t.isScalarValue()) {
                    return ctxt.reportInputMismatch(String.class,
                            "a list of strings may not hold %s", t.asString() == null ? t.name() : t.asString());
                }
                out.add(p.getValueAsString());
            }
            return out;
        }
    }
}
