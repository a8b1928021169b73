using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.Reflection;
using Maximus.Reflection.Client;
using Maximus.Runtime.Dapr;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace Maximus.IntegrationTests;

/// <summary>The Dapr runtime's bulk subscription, actor configuration and bulk publish, without a sidecar.</summary>
public sealed class DaprBulkAndActorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Memory_hosts_its_tier_actors_in_dapr_config()
    {
        await using var host = new MaximusHostFactory(AppIds.Memory, "dapr");
        using var client = host.CreateClient();

        var config = await client.GetFromJsonAsync<JsonObject>("/dapr/config", Ct);

        var entities = config!["entities"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains("CoreMemoryActor", entities);

        // Episodes live in the one memory store (the vector store behind AgentMemory), not in an actor tier.
        Assert.DoesNotContain("EpisodicTierActor", entities);
    }

    [Fact]
    public async Task Reflector_bulk_subscribes_to_batched_logs()
    {
        await using var host = new MaximusHostFactory(AppIds.Reflector, "dapr");
        using var client = host.CreateClient();

        var subscriptions = await client.GetFromJsonAsync<JsonArray>("/dapr/subscribe", Ct);

        var bulk = Assert.Single(subscriptions!, s => s?["topic"]?.GetValue<string>() == nameof(ExecutionLogBatchedIntegrationEvent))!;
        Assert.True(bulk["bulkSubscribe"]?["enabled"]?.GetValue<bool>());
        Assert.Equal("/events/ExecutionLogBatchedIntegrationEvent/bulk", "/" + bulk["route"]?.GetValue<string>().TrimStart('/'));
        Assert.Equal(Topics.DeadLetter, bulk["deadLetterTopic"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_bulk_delivery_answers_one_status_per_entry_and_drops_the_unreadable_and_the_invalid()
    {
        var state = new InMemoryStateStore();
        await using var host = new MaximusHostFactory(AppIds.Reflector, "dapr", testServices: s =>
        {
            s.RemoveAll<IStateStore>();
            s.AddSingleton<IStateStore>(state);
            s.RemoveAll<IEventBus>();
            s.AddSingleton<IEventBus>(new RecordingEventBus());
        });
        using var client = host.CreateClient();
        var good1 = Log("bulk-1");
        var good2 = Log("bulk-2");
        var invalid = Log("bulk-3") with { Action = "" };
        var message = new JsonObject
        {
            ["id"] = "m1",
            ["topic"] = nameof(ExecutionLogBatchedIntegrationEvent),
            ["pubsubname"] = Components.PubSub,
            ["entries"] = new JsonArray(
                Entry("e1", good1),
                Entry("e2", good2),
                Entry("e3", invalid),
                new JsonObject { ["entryId"] = "e4", ["event"] = "not an event", ["contentType"] = "application/json" }),
        };

        using var response = await client.PostAsJsonAsync("/events/ExecutionLogBatchedIntegrationEvent/bulk", message, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statuses = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["statuses"]!.AsArray()
            .ToDictionary(s => s!["entryId"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["e1"] = "SUCCESS", ["e2"] = "SUCCESS", ["e3"] = "DROP", ["e4"] = "DROP" }, statuses);
        Assert.NotNull(await state.GetAsync<ReflectionResult>(ReflectionService.Key("bulk-1"), Ct));
        Assert.NotNull(await state.GetAsync<ReflectionResult>(ReflectionService.Key("bulk-2"), Ct));
        Assert.Null(await state.GetAsync<ReflectionResult>(ReflectionService.Key("bulk-3"), Ct));
    }

    [Fact]
    public async Task The_client_bulk_publishes_batched_logs_through_the_dapr_client()
    {
        var dapr = Substitute.For<DaprClient>();
        var published = new List<(string Topic, int Count)>();
        dapr.BulkPublishEventAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<IReadOnlyList<System.Text.Json.JsonElement>>(), Arg.Any<Dictionary<string, string>>(), Arg.Any<CancellationToken>())
            .Returns(call =>
            {
                lock (published)
                {
                    published.Add((call.ArgAt<string>(1), call.ArgAt<IReadOnlyList<System.Text.Json.JsonElement>>(2).Count));
                }
                return Task.FromResult(new BulkPublishResponse<System.Text.Json.JsonElement>([]));
            });
        var outbox = new ReflectionOutbox(Path.Combine(Directory.CreateTempSubdirectory("maximus-bulk-").FullName, "outbox.db"));
        await using var client = new PrioritizedReflectorClient(
            new DaprEventBus(dapr), Substitute.For<IServiceInvoker>(), outbox,
            Options.Create(new ReflectorClientOptions { BatchSize = 4, BatchInterval = TimeSpan.FromSeconds(30) }),
            TimeProvider.System, NullLogger<PrioritizedReflectorClient>.Instance);

        for (var i = 0; i < 8; i++)
        {
            await client.SubmitAsync(Log($"b-{i}") with { Priority = ReflectionPriority.Batch }, Ct);
        }

        // Published, then taken out of the outbox: the client does the second after the publish answers, so wait for both
        // (reading the outbox the moment the last batch was published failed once on a loaded machine).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((Published() < 8 || outbox.Count() > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, Ct);
        }

        lock (published)
        {
            Assert.Equal([(nameof(ExecutionLogBatchedIntegrationEvent), 4), (nameof(ExecutionLogBatchedIntegrationEvent), 4)], published);
        }

        Assert.Equal(0, outbox.Count());

        int Published()
        {
            lock (published)
            {
                return published.Sum(p => p.Count);
            }
        }
    }

    private static JsonObject Entry(string id, ExecutionLog log) => new()
    {
        ["entryId"] = id,
        ["contentType"] = "application/cloudevents+json",
        ["event"] = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = "executor",
            ["type"] = "com.dapr.event.sent",
            ["datacontenttype"] = "application/json",
            ["data"] = System.Text.Json.JsonSerializer.SerializeToNode(new ExecutionLogBatchedIntegrationEvent(log) { Id = log.LogId }, MaximusJson.Options),
        },
    };

    private static ExecutionLog Log(string id) =>
        new(id, "m-1", "agent-1", 0, "(stack a b)", ActionOutcome.Succeeded, 3, DateTimeOffset.UtcNow, "ok", Priority: ReflectionPriority.Batch);
}
