package org.slim4j.model.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's str methods for Jinja templates written for Hugging Face (Python's jinja2): {@code content.startswith('x')},
 * {@code .strip('\n')}, {@code .split('</think>')[-1]} and the like. Jinjava calls Java methods on strings, so these
 * names resolve here first; everything else falls through to Jinjava's own resolver.
 */
final class PythonStrings extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object r = call(s, method.toString(), p);
        if (r != null) context.setPropertyResolved(true);
        return r;
    }

    private static Object call(String s, String name, Object[] p) {
        return switch (name) {
            case "startswith" -> p.length == 1 ? anyMatch(p[0], s::startsWith) : null;
            case "endswith" -> p.length == 1 ? anyMatch(p[0], s::endsWith) : null;
            case "strip" -> p.length == 0 || p[0] == null ? s.strip() : stripRight(stripLeft(s, str(p[0])), str(p[0]));
            case "lstrip" -> p.length == 0 || p[0] == null ? s.stripLeading() : stripLeft(s, str(p[0]));
            case "rstrip" -> p.length == 0 || p[0] == null ? s.stripTrailing() : stripRight(s, str(p[0]));
            case "upper" -> p.length == 0 ? s.toUpperCase(Locale.ROOT) : null;
            case "lower" -> p.length == 0 ? s.toLowerCase(Locale.ROOT) : null;
            case "title" -> p.length == 0 ? title(s) : null;
            case "capitalize" -> p.length == 0 ? capitalize(s) : null;
            case "split" -> split(s, p);
            case "find" -> p.length == 1 ? s.indexOf(str(p[0])) : null;
            case "count" -> p.length == 1 ? count(s, str(p[0])) : null;
            case "join" -> p.length == 1 && p[0] instanceof Iterable<?> it ? join(s, it) : null;
            default -> null;
        };
    }

    private static Boolean anyMatch(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Iterable<?> it) { // Python accepts a tuple of prefixes
            for (Object o : it) if (test.test(str(o))) return true;
            return false;
        }
        return test.test(str(prefixes));
    }

    private static String stripLeft(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) i++;
        return s.substring(i);
    }

    private static String stripRight(String s, String chars) {
        int j = s.length();
        while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) j--;
        return s.substring(0, j);
    }

    private static List<String> split(String s, Object[] p) {
        String sep = p.length == 0 || p[0] == null ? null : str(p[0]);
        int max = p.length > 1 && p[1] instanceof Number n ? n.intValue() : -1;
        if (sep == null) {
            String t = s.strip();
            return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+", max < 0 ? 0 : max + 1));
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        return new ArrayList<>(Arrays.asList(s.split(Pattern.quote(sep), max < 0 ? -1 : max + 1)));
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return b.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Iterable<?> items) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!first) b.append(sep);
            b.append(str(o));
            first = false;
        }
        return b.toString();
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
