using System.Text;

namespace Maximus.IntegrationTests;

public sealed class Scratch
{
    [Fact]
    public async Task Probe()
    {
        await using var host = new MaximusHostFactory("all", "embedded");
        using var client = host.CreateClient();
        var sb = new StringBuilder();
        async Task Post(string url, string body)
        {
            using var r = await client.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            sb.AppendLine($"{url} {(int)r.StatusCode} {r.Content.Headers.ContentType} {await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }
        await Post("/v1/missions", "{\"pluginAppId\": \"pddl-env\", \"maxCandidates\": \"three\"}");
        await Post("/v1/missions", "{\"pluginAppId\": ");
        await Post("/v1/missions", "{}");
        await Post("/v1/missions", "not json");
        await Post("/v1/missions", "{\"pluginAppId\": \"Bad App\"}");
        await Post("/v1/plans", "{\"actions\": [], \"state\": {\"objects\": [], \"facts\": []}, \"goal\": [{\"predicate\":\"on\",\"arguments\":[\"a\",\"b\"]}]}");
        await Post("/pddl-env/v1/environments", "{\"domain\": \"(define (domain d)\\n  (:requirements :strips)\\n  (:predicates (on ?x ?y))\\n  (:action stack\\n    :parameters (?x ?y)\\n    :precondition (and (clear ?y))\\n    :effect (on ?x ?y)))\", \"problem\": \"(define (problem p) (:domain d) (:objects a b) (:init) (:goal (on a b)))\"}");
        await Post("/pddl-env/v1/environments", "{\"domain\": \"(define (domain d)\\n  (:requirements :strips)\\n  (:predicates (on ?x ?y))\\n  (:action stack\\n    :parameters (?x ?y)\\n    :precondition (and (on ?y ?x))\\n    :effect (on ?x ?y)))\", \"problem\": \"(define (problem p)\\n (:domain d)\\n (:objects a b)\\n (:init (on a b)\\n (:goal (on a b)))\"}");
        using var g = await client.GetAsync("/v1/missions", TestContext.Current.CancellationToken);
        sb.AppendLine($"GET missions {(int)g.StatusCode} {await g.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        Assert.Fail(sb.ToString());
    }
}
