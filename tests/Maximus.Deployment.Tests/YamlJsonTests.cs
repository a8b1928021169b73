using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace Maximus.Deployment.Tests;

public sealed class YamlJsonTests
{
    [Fact]
    public void Quoted_scalars_stay_strings_and_plain_scalars_are_typed()
    {
        var node = Assert.IsType<JsonObject>(Assert.Single(YamlJson.LoadDocuments("""
            quotedTrue: "true"
            plainTrue: true
            quotedPort: '6379'
            plainPort: 6379
            plainFloat: 1.5
            tilde: ~
            empty:
            hostPort: localhost:6379
            duration: 5s
            block: |
              text
            yamlOneOneYes: yes
            taggedString: !!str 10
            """)));

        Assert.Equal(JsonValueKind.String, node["quotedTrue"]!.GetValueKind());
        Assert.True(node["plainTrue"]!.GetValue<bool>());
        Assert.Equal("6379", node["quotedPort"]!.GetValue<string>());
        Assert.Equal(6379L, node["plainPort"]!.GetValue<long>());
        Assert.Equal(1.5, node["plainFloat"]!.GetValue<double>());
        Assert.Null(node["tilde"]);
        Assert.True(node.ContainsKey("empty"));
        Assert.Null(node["empty"]);
        Assert.Equal("localhost:6379", node["hostPort"]!.GetValue<string>());
        Assert.Equal("5s", node["duration"]!.GetValue<string>());
        Assert.Equal("text\n", node["block"]!.GetValue<string>());
        Assert.True(node["yamlOneOneYes"]!.GetValue<bool>());
        Assert.Equal("10", node["taggedString"]!.GetValue<string>());
    }

    [Fact]
    public void Every_non_empty_document_of_a_stream_is_returned()
    {
        var documents = YamlJson.LoadDocuments("""
            kind: A
            ---
            kind: B
            ---
            """);

        Assert.Equal(["A", "B"], documents.Select(d => d["kind"]!.GetValue<string>()));
    }

    [Fact]
    public void Duplicate_keys_are_rejected()
    {
        Assert.Throws<YamlException>(() => YamlJson.LoadDocuments("a: 1\na: 2\n"));
    }
}
