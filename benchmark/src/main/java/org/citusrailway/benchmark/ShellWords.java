package org.citusrailway.benchmark;

import java.util.ArrayList;
import java.util.List;

/** Just enough of shell word splitting and JSON string arrays to read a Dockerfile's commands. */
final class ShellWords {
    private ShellWords() {
    }

    /** Splits on unquoted whitespace; single quotes are literal, double quotes and backslashes escape. */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (quote == '"') {
                if (c == '"') {
                    quote = 0;
                } else if (c == '\\' && i + 1 < text.length()) {
                    word.append(text.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                inWord = true;
                if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '\\' && i + 1 < text.length()) {
                    word.append(text.charAt(++i));
                } else {
                    word.append(c);
                }
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unbalanced quote in: " + text);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** The exec form of ENTRYPOINT/CMD/RUN: a JSON array of strings. */
    static List<String> jsonArray(String text) {
        String s = text.trim();
        if (!s.startsWith("[") || !s.endsWith("]")) {
            throw new IllegalArgumentException("not a JSON array (exec form): " + text);
        }
        List<String> items = new ArrayList<>();
        int i = 1;
        while (true) {
            i = skipSpace(s, i);
            if (s.charAt(i) == ']') {
                return items;
            }
            if (s.charAt(i) != '"') {
                throw new IllegalArgumentException("expected a string at " + i + " in: " + text);
            }
            StringBuilder item = new StringBuilder();
            for (i++; s.charAt(i) != '"'; i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    char e = s.charAt(++i);
                    switch (e) {
                        case 'n' -> item.append('\n');
                        case 't' -> item.append('\t');
                        case 'u' -> {
                            item.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                        default -> item.append(e);
                    }
                } else {
                    item.append(c);
                }
            }
            items.add(item.toString());
            i = skipSpace(s, i + 1);
            if (s.charAt(i) == ',') {
                i++;
            }
        }
    }

    private static int skipSpace(String s, int i) {
        while (Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
