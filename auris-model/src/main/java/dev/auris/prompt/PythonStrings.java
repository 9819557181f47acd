package dev.auris.prompt;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Python's str methods that Hugging Face chat templates call ({@code startswith}, {@code endswith},
 * {@code split}, {@code strip}, {@code lstrip}, {@code rstrip}, {@code upper}, {@code lower},
 * {@code replace}), which Jinjava does not have: an EL resolver consulted before Jinjava's own.
 */
final class PythonStrings extends ELResolver {
    @Override
    public Object invoke(ELContext ctx, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result = switch (method.toString()) {
            case "startswith" -> p.length == 1 ? s.startsWith(str(p[0])) : null;
            case "endswith" -> p.length == 1 ? s.endsWith(str(p[0])) : null;
            case "split" -> p.length == 0 ? Arrays.asList(s.trim().split("\\s+")) : p.length == 1 ? split(s, str(p[0])) : null;
            case "strip" -> p.length == 0 ? s.strip() : stripChars(stripChars(s, str(p[0]), true), str(p[0]), false);
            case "lstrip" -> p.length == 0 ? s.stripLeading() : stripChars(s, str(p[0]), true);
            case "rstrip" -> p.length == 0 ? s.stripTrailing() : stripChars(s, str(p[0]), false);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "replace" -> p.length == 2 ? s.replace(str(p[0]), str(p[1])) : null;
            default -> null;
        };
        if (result != null) ctx.setPropertyResolved(true);
        return result;
    }

    private static String str(Object o) { return o == null ? "" : o.toString(); }

    /** Python's str.split(sep): keeps empty pieces, including trailing ones. */
    private static List<String> split(String s, String sep) {
        if (sep.isEmpty()) throw new IllegalArgumentException("chat template: empty separator");
        List<String> out = new java.util.ArrayList<>();
        int i = 0, j;
        while ((j = s.indexOf(sep, i)) >= 0) {
            out.add(s.substring(i, j));
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    private static String stripChars(String s, String chars, boolean leading) {
        int a = 0, b = s.length();
        if (leading) while (a < b && chars.indexOf(s.charAt(a)) >= 0) a++;
        else while (b > a && chars.indexOf(s.charAt(b - 1)) >= 0) b--;
        return s.substring(a, b);
    }

    @Override public Class<?> getCommonPropertyType(ELContext c, Object b) { return null; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext c, Object b) { return null; }
    @Override public Class<?> getType(ELContext c, Object b, Object p) { return null; }
    @Override public Object getValue(ELContext c, Object b, Object p) { return null; }
    @Override public boolean isReadOnly(ELContext c, Object b, Object p) { return true; }
    @Override public void setValue(ELContext c, Object b, Object p, Object v) { }
}
