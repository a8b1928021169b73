using System.Net;
using System.Text;

namespace Maximus.Llm.Tests.Support;

/// <summary>One request as the client sent it.</summary>
internal sealed record SentRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At);

/// <summary>
/// A fake HTTP server in a handler: answers each request with the next scripted answer (the last one repeats) and
/// records what was sent, with the time of a (possibly fake) clock.
/// </summary>
internal sealed class FakeHttpHandler(TimeProvider? time = null) : HttpMessageHandler
{
    private readonly Queue<Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _answers = new();
    private Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? _last;
    private readonly List<SentRequest> _sent = [];
    private readonly object _gate = new();

    public IReadOnlyList<SentRequest> Sent
    {
        get
        {
            lock (_gate)
            {
                return _sent.ToList();
            }
        }
    }

    /// <summary>Signalled on every request (tests wait on it before advancing a fake clock).</summary>
    public SemaphoreSlim Requests { get; } = new(0);

    public FakeHttpHandler Answer(HttpStatusCode status, string body, string contentType = "application/json", Action<HttpResponseMessage>? configure = null) =>
        Then((_, _) =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8) };
            response.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            configure?.Invoke(response);
            return Task.FromResult(response);
        });

    public FakeHttpHandler Then(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer)
    {
        lock (_gate)
        {
            _answers.Enqueue(answer);
        }

        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer;
        lock (_gate)
        {
            _sent.Add(new SentRequest(request.Method, request.RequestUri!, headers, body, (time ?? TimeProvider.System).GetUtcNow()));
            answer = _answers.Count > 0 ? _last = _answers.Dequeue() : _last ?? throw new InvalidOperationException("No scripted answer.");
        }

        Requests.Release();
        return await answer(request, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Requests.Dispose();
        }

        base.Dispose(disposing);
    }
}
