using System.Text;

namespace Maximus.IntegrationTests;

public sealed class Scratch
{
    [Fact]
    public async Task Probe()
    {
        var state = new InMemoryStateStore();
        await using var host = new MaximusHostFactory("reflector", "dapr", testServices: s =>
        {
            Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.RemoveAll<Maximus.Contracts.Ports.IStateStore>(s);
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Maximus.Contracts.Ports.IStateStore>(s, state);
        });
        using var client = host.CreateClient();
        var sb = new StringBuilder();
        async Task Post(string body, string type)
        {
            using var r = await client.PostAsync("/events/ExecutionLoggedIntegrationEvent", new StringContent(body, Encoding.UTF8, type), TestContext.Current.CancellationToken);
            sb.AppendLine($"{type} {body[..Math.Min(60, body.Length)]} -> {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }
        await Post("{not json", "application/cloudevents+json");
        await Post("{\"specversion\":\"1.0\",\"datacontenttype\":\"application/json\",\"data\":null}", "application/cloudevents+json");
        await Post("{\"specversion\":\"1.0\",\"datacontenttype\":\"application/json\",\"data\":\"garbage\"}", "application/cloudevents+json");
        await Post("{\"specversion\":\"1.0\",\"datacontenttype\":\"application/json\"}", "application/cloudevents+json");
        await Post("{\"specversion\":\"1.0\",\"datacontenttype\":\"application/json\",\"data\":{\"log\":{\"logId\":\"\",\"missionId\":\"m\",\"agentId\":\"a\",\"stepIndex\":0,\"action\":\"x\",\"outcome\":\"Succeeded\",\"durationMs\":1,\"timestamp\":\"2025-01-01T00:00:00Z\"}}}", "application/cloudevents+json");
        await Post("{\"specversion\":\"1.0\",\"datacontenttype\":\"application/json\",\"data\":{\"log\":{\"logId\":\"ok-1\",\"missionId\":\"m\",\"agentId\":\"a\",\"stepIndex\":0,\"action\":\"x\",\"outcome\":\"Succeeded\",\"durationMs\":1,\"timestamp\":\"2025-01-01T00:00:00Z\"}}}", "application/cloudevents+json");
        Assert.Fail(sb.ToString());
    }
}
