package example;

import java.util.List;
import org.slim4j.Slim4j;
import org.slim4j.model.Encoder;

/** Embeds one sentence with the encoder at args[0] and prints its dimension and first values. */
public class Embed {
    public static void main(String[] args) {
        try (Encoder e = Slim4j.loadEncoder(args[0])) {
            float[] v = e.embed(List.of("A library user embeds a sentence."))[0];
            System.out.println(v.length + " " + v[0] + " " + v[1] + " " + v[2]);
        }
    }
}
