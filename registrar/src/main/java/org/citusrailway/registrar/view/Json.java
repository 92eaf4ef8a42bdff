package org.citusrailway.registrar.view;

import java.util.List;

/** A minimal JSON writer for /status: objects, arrays, strings, numbers, booleans, null. Commas are automatic. */
public final class Json {
    private final StringBuilder out = new StringBuilder(1024);
    private boolean needComma;

    public Json beginObject() {
        separate();
        out.append('{');
        needComma = false;
        return this;
    }

    public Json endObject() {
        out.append('}');
        needComma = true;
        return this;
    }

    public Json beginArray(String name) {
        name(name);
        out.append('[');
        needComma = false;
        return this;
    }

    public Json endArray() {
        out.append(']');
        needComma = true;
        return this;
    }

    /** An object as a named field. */
    public Json object(String name) {
        name(name);
        out.append('{');
        needComma = false;
        return this;
    }

    public Json field(String name, String value) {
        name(name);
        string(value);
        needComma = true;
        return this;
    }

    public Json field(String name, long value) {
        name(name);
        out.append(value);
        needComma = true;
        return this;
    }

    public Json field(String name, double value) {
        name(name);
        out.append(Double.isFinite(value) ? Double.toString(value) : "null");
        needComma = true;
        return this;
    }

    public Json field(String name, Long value) {
        name(name);
        out.append(value == null ? "null" : value.toString());
        needComma = true;
        return this;
    }

    public Json nullField(String name) {
        name(name);
        out.append("null");
        needComma = true;
        return this;
    }

    public Json field(String name, boolean value) {
        name(name);
        out.append(value);
        needComma = true;
        return this;
    }

    public Json field(String name, Boolean value) {
        name(name);
        out.append(value == null ? "null" : value.toString());
        needComma = true;
        return this;
    }

    public Json strings(String name, List<String> values) {
        beginArray(name);
        for (String value : values) {
            separate();
            string(value);
            needComma = true;
        }
        return endArray();
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void name(String name) {
        separate();
        string(name);
        out.append(':');
        needComma = false;
    }

    private void separate() {
        if (needComma) {
            out.append(',');
        }
    }

    private void string(String value) {
        if (value == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
