// SPDX-License-Identifier: Apache-2.0
//
// MavenOracle.java: reads "A<TAB>B" lines on stdin and prints, one line per
// pair, -1, 0 or 1 as maven-artifact's ComparableVersion orders A and B.
// Run with the Java source launcher:
//   java -cp /usr/share/java/maven-artifact-3.x.jar tests/oracles/MavenOracle.java
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            if (tab < 0) {
                out.write("error\n");
                continue;
            }
            ComparableVersion a = new ComparableVersion(line.substring(0, tab));
            ComparableVersion b = new ComparableVersion(line.substring(tab + 1));
            int c = a.compareTo(b);
            out.write(c < 0 ? "-1\n" : (c > 0 ? "1\n" : "0\n"));
        }
        out.flush();
    }
}
