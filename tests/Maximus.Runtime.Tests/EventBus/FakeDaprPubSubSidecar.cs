using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr;
using Dapr.Client;
using Maximus.Contracts;
using NSubstitute;

namespace Maximus.Runtime.Tests.EventBus;

/// <summary>
/// A fake Dapr sidecar for pub/sub: a contract test of our own <c>DaprEventBus</c> and topic routes, not of Dapr.
/// The substituted <see cref="DaprClient"/> keeps what the adapter publishes (single and bulk); then
/// <see cref="DeliverAsync"/> does what daprd does with it: reads the app's <c>GET /dapr/subscribe</c>, and
/// POSTs every message of a subscribed topic to its route as an <c>application/cloudevents+json</c> CloudEvent.
/// Messages of topics nobody subscribes to are not delivered. Only the component <see cref="Components.PubSub"/> exists.
/// Bulk subscriptions (a batch per POST) are not simulated: delivering to one fails the test.
/// </summary>
public sealed class FakeDaprPubSubSidecar
{
    private readonly ConcurrentQueue<PublishedMessage> _outbox = new();

    public FakeDaprPubSubSidecar()
    {
        Client = Substitute.For<DaprClient>();
        Client.PublishEventAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<JsonElement>(), Arg.Any<CancellationToken>())
            .Returns(call =>
            {
                Accept(call.ArgAt<string>(0), call.ArgAt<string>(1), [call.ArgAt<JsonElement>(2)]);
                return Task.CompletedTask;
            });
        Client.BulkPublishEventAsync(
                Arg.Any<string>(), Arg.Any<string>(), Arg.Any<IReadOnlyList<JsonElement>>(), Arg.Any<Dictionary<string, string>?>(), Arg.Any<CancellationToken>())
            .Returns(call =>
            {
                Accept(call.ArgAt<string>(0), call.ArgAt<string>(1), call.ArgAt<IReadOnlyList<JsonElement>>(2));
                return Task.FromResult(new BulkPublishResponse<JsonElement>([]));
            });
    }

    /// <summary>The substituted client to give to the adapter under test.</summary>
    public DaprClient Client { get; }

    /// <summary>Delivers every message published so far to <paramref name="app"/>; returns how many were delivered.</summary>
    public async Task<int> DeliverAsync(HttpClient app, CancellationToken cancellationToken)
    {
        var subscriptions = await app.GetFromJsonAsync<List<Subscription>>("/dapr/subscribe", cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("GET /dapr/subscribe answered null.");
        var delivered = 0;
        while (_outbox.TryDequeue(out var message))
        {
            var subscription = subscriptions.Find(s => s.PubsubName == message.PubSub && s.Topic == message.Topic);
            if (subscription?.Route is not { Length: > 0 } route)
            {
                continue;
            }

            if (subscription.BulkSubscribe?.Enabled == true)
            {
                throw new InvalidOperationException(
                    $"{message.Topic} is bulk-subscribed; this fake sidecar delivers single CloudEvents only, not bulk subscribe messages.");
            }

            var cloudEvent = new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = Guid.NewGuid().ToString(),
                ["source"] = "fake-daprd",
                ["type"] = "com.dapr.event.sent",
                ["datacontenttype"] = "application/json",
                ["pubsubname"] = message.PubSub,
                ["topic"] = message.Topic,
                ["data"] = JsonNode.Parse(message.Data.GetRawText()),
            };
            using var content = new StringContent(cloudEvent.ToJsonString(), Encoding.UTF8, "application/cloudevents+json");
            using var response = await app.PostAsync("/" + route.TrimStart('/'), content, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK || !body.Contains("\"SUCCESS\"", StringComparison.Ordinal))
            {
                // daprd would retry or dead-letter the message; a test must see it.
                throw new InvalidOperationException($"The app answered {(int)response.StatusCode} {body} to a message of {message.Topic}.");
            }

            delivered++;
        }

        return delivered;
    }

    private void Accept(string pubSub, string topic, IReadOnlyList<JsonElement> messages)
    {
        if (pubSub != Components.PubSub)
        {
            throw new DaprException($"Publish operation failed: pubsub {pubSub} is not found.");
        }

        foreach (var data in messages)
        {
            _outbox.Enqueue(new PublishedMessage(pubSub, topic, data.Clone()));
        }
    }

    private sealed record PublishedMessage(string PubSub, string Topic, JsonElement Data);

    /// <summary>One entry of <c>GET /dapr/subscribe</c>.</summary>
    public sealed record Subscription(string PubsubName, string Topic, string? Route, string? DeadLetterTopic, BulkSubscribeOptions? BulkSubscribe = null);

    public sealed record BulkSubscribeOptions(bool Enabled);
}
