using System.Net;
using System.Text;

namespace Maximus.Runtime.Tests.ServiceInvocation;

/// <summary>
/// A fake Dapr sidecar for service invocation: a contract test of our own <c>DaprServiceInvoker</c> (behind Dapr's
/// real <c>InvocationHandler</c>), not of Dapr. It serves daprd's HTTP invocation API,
/// <c>{verb} /v1.0/invoke/{appId}/method/{method}?{query}</c>, by forwarding the call to the app's in-memory
/// test server, and answers an unknown app id as daprd does (500, <c>ERR_DIRECT_INVOKE</c>).
/// </summary>
public sealed class FakeDaprInvocationSidecar(IReadOnlyDictionary<string, HttpMessageHandler> apps) : HttpMessageHandler
{
    private const string InvokePrefix = "/v1.0/invoke/";
    private const string MethodSegment = "/method/";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("No request URI.");
        var path = uri.AbsolutePath;
        var methodAt = path.IndexOf(MethodSegment, StringComparison.Ordinal);
        if (!path.StartsWith(InvokePrefix, StringComparison.Ordinal) || methodAt < 0)
        {
            return Error(HttpStatusCode.NotFound, "ERR_NOT_FOUND", $"daprd serves no {path}");
        }

        var appId = path[InvokePrefix.Length..methodAt];
        var method = path[(methodAt + MethodSegment.Length)..];
        if (!apps.TryGetValue(appId, out var app))
        {
            return Error(HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: couldn't find service: {appId}");
        }

        using var forward = new HttpRequestMessage(request.Method, new Uri($"http://{appId}.app/{method}{uri.Query}"));
        if (request.Content is not null)
        {
            var body = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            forward.Content = new ByteArrayContent(body);
            foreach (var header in request.Content.Headers)
            {
                forward.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        foreach (var header in request.Headers)
        {
            forward.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        using var invoker = new HttpMessageInvoker(app, disposeHandler: false);
        return await invoker.SendAsync(forward, cancellationToken).ConfigureAwait(false);
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string message) => new(status)
    {
        Content = new StringContent(
            $$"""{"errorCode":"{{code}}","message":"{{message}}"}""", Encoding.UTF8, "application/json"),
    };
}
