import java.io.FileInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

// Prints what java.util.Properties.load makes of each file named on the
// command line: its sorted [key]=[value] lines, or ERR when load refuses
// the file, one file after another, separated by NUL. Used by
// TestParseAgainstJava.
public class PropsOracle {
    public static void main(String[] args) throws Exception {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < args.length; i++) {
            if (i > 0) all.append('\0');
            try (FileInputStream in = new FileInputStream(args[i])) {
                Properties p = new Properties();
                p.load(in);
                List<String> lines = new ArrayList<>();
                for (String k : p.stringPropertyNames()) lines.add("[" + esc(k) + "]=[" + esc(p.getProperty(k)) + "]");
                Collections.sort(lines);
                all.append(String.join("\n", lines));
            } catch (IllegalArgumentException e) {
                all.append("ERR");
            }
        }
        System.out.print(all);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 32 || c > 126) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
