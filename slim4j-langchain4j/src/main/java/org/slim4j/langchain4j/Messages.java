package org.slim4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;

/** LangChain4j messages as the text slim4j's models read. */
final class Messages {
    private Messages() {}

    /** The text of a message; a part that is not text (an image, audio, a PDF) is refused, naming its type. */
    static String text(ChatMessage message) {
        return switch (message) {
            case SystemMessage s -> s.text();
            case UserMessage u -> {
                if (u.hasSingleText()) yield u.singleText();
                StringBuilder sb = new StringBuilder();
                for (Content c : u.contents()) {
                    if (!(c instanceof TextContent t)) {
                        throw new UnsupportedFeatureException("slim4j models read text only; the user message has " + c.type() + " content");
                    }
                    if (!sb.isEmpty()) sb.append('\n');
                    sb.append(t.text());
                }
                yield sb.toString();
            }
            case AiMessage a -> {
                if (a.hasToolExecutionRequests()) throw new UnsupportedFeatureException("slim4j models do not call tools");
                yield a.text() == null ? "" : a.text();
            }
            case ToolExecutionResultMessage t -> t.text();
            default -> throw new UnsupportedFeatureException("slim4j models take system, user, AI and tool-result messages, not " + message.type());
        };
    }
}
