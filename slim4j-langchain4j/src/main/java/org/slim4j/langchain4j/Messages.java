package org.slim4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.ArrayList;
import java.util.List;

/** LangChain4j messages as the text slim4j's models read. */
final class Messages {
    private Messages() {}

    /** A conversation as slim4j's chat templates take it: roles system, user, assistant and tool. */
    static List<org.slim4j.model.chat.ChatMessage> toSlim4j(List<ChatMessage> messages) {
        List<org.slim4j.model.chat.ChatMessage> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            String role = switch (m.type()) {
                case SYSTEM -> "system";
                case USER -> "user";
                case AI -> "assistant";
                case TOOL_EXECUTION_RESULT -> "tool";
                default -> throw new UnsupportedFeatureException("slim4j models take system, user, AI and tool-result messages, not " + m.type());
            };
            out.add(new org.slim4j.model.chat.ChatMessage(role, text(m)));
        }
        return out;
    }

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
