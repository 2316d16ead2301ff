package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The HTTP family, recorded by the proxy. The event's {@code resource} is the host as Cedar sees
 * it ({@code api.example.com:443}).
 *
 * @param method request method
 * @param url the request URL (cut to {@link EventLimits#MAX_URL_BYTES})
 * @param status response status, null when no response was produced (refused, failed)
 * @param header for {@code HttpRewrite}: the header set; its value is never recorded
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HttpDetail(String method, String url, Integer status, String header) implements EventDetail {
    @Override
    public HttpDetail withinLimits() {
        EventLimits.Cut m = EventLimits.cutText(method);
        EventLimits.Cut u = EventLimits.cut(url, EventLimits.MAX_URL_BYTES);
        EventLimits.Cut h = EventLimits.cutText(header);
        return m.truncated() || u.truncated() || h.truncated()
                ? new HttpDetail(m.text(), u.text(), status, h.text())
                : this;
    }
}
