// ChildLines prints what the KCL MultiLangDaemon does with each line a
// child writes, using the daemon's own message classes and a plain Jackson
// ObjectMapper, as GetNextMessageTask.handleLine and MultiLangProtocol do.
//
// Run it with the daemon's jars and the daemon's charset:
//
//	java -Dfile.encoding=UTF-8 -cp JARS ChildLines.java
//
// Input, on stdin, is a sequence of frames: the length of a line in bytes in
// decimal, a newline, then the line's bytes, which may hold anything (an
// empty line, "\r", bytes that are not UTF-8). For each frame one line is
// printed on stdout: the verdict, in the words of
// protocol/testdata/child-lines.json, then a tab and a detail (the
// exception that skipped the line, say). Quoted strings are JSON strings in
// which every character outside printable ASCII is escaped as its UTF-16
// code unit.
//
// A frame the daemon would read as more than one line (it holds a "\r" that
// does not end it) is reported as "error"; so is any exception other than
// an IOException, which handleLine does not catch.

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import software.amazon.kinesis.multilang.messages.CheckpointMessage;
import software.amazon.kinesis.multilang.messages.Message;
import software.amazon.kinesis.multilang.messages.StatusMessage;

public class ChildLines {
    public static void main(String[] args) throws Exception {
        // MultiLangRecordProcessorFactory hands this, unconfigured, to every
        // shard's MessageReader.
        ObjectMapper mapper = new ObjectMapper();
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (;;) {
            String header = readHeader(in);
            if (header == null) {
                break;
            }
            byte[] line = new byte[Integer.parseInt(header)];
            in.readFully(line);
            out.println(verdict(mapper, line));
        }
        out.flush();
    }

    // readHeader returns the digits before the next newline, or null at the
    // end of the input.
    static String readHeader(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (;;) {
            int c = in.read();
            if (c < 0) {
                if (b.length() == 0) {
                    return null;
                }
                throw new EOFException("a frame header without its newline");
            }
            if (c == '\n') {
                return b.toString();
            }
            b.append((char) c);
        }
    }

    static String verdict(ObjectMapper mapper, byte[] bytes) throws IOException {
        // The daemon reads the child's stdout through an InputStreamReader in
        // the default charset and splits it with readLine; the line is given
        // here as the child wrote it, ended by a newline.
        byte[] framed = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, framed, 0, bytes.length);
        framed[bytes.length] = '\n';
        BufferedReader reader = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(framed)));
        String line = reader.readLine();
        if (reader.readLine() != null) {
            return "error\tthe daemon reads this as more than one line";
        }
        if (line.isEmpty()) {
            return "skipped silently";
        }
        Message m;
        try {
            m = mapper.readValue(line, Message.class);
        } catch (IOException e) {
            return "skipped\t" + detail(e);
        } catch (RuntimeException e) {
            return "error\t" + detail(e);
        }
        if (m == null) {
            return "fatal";
        }
        if (m instanceof StatusMessage) {
            String s = ((StatusMessage) m).getResponseFor();
            return "status " + quote(s == null ? "" : s);
        }
        if (m instanceof CheckpointMessage) {
            CheckpointMessage c = (CheckpointMessage) m;
            String seq = c.getSequenceNumber() == null ? "null" : quote(c.getSequenceNumber());
            String sub = c.getSubSequenceNumber() == null ? "null" : c.getSubSequenceNumber().toString();
            return "checkpoint " + seq + " " + sub;
        }
        try {
            return "ignored " + m.getClass().getField("ACTION").get(null);
        } catch (ReflectiveOperationException e) {
            return "error\t" + m.getClass().getName() + " has no ACTION";
        }
    }

    // detail is the exception's class and the first line of its message.
    static String detail(Exception e) {
        String msg = String.valueOf(e.getMessage());
        int nl = msg.indexOf('\n');
        if (nl >= 0) {
            msg = msg.substring(0, nl);
        }
        return e.getClass().getSimpleName() + ": " + quote(msg);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.append('"').toString();
    }
}
