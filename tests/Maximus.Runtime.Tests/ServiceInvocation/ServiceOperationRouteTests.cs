using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.ServiceInvocation;

/// <summary>Route templates as the embedded invoker matches them (the HTTP adapter gives them to ASP.NET Core routing).</summary>
public sealed class ServiceOperationRouteTests
{
    private static readonly ServiceOperation CatchAll = ServiceOperation.Get("app", "v1/items/{**id}", _ => Task.FromResult(0));

    [Theory]
    [InlineData("v1/items/m-1/r0/s2", "m-1/r0/s2")]
    [InlineData("v1/items/m-1%2Fr0%2Fs2", "m-1/r0/s2")]
    [InlineData("v1/items/plain", "plain")]
    public void A_catch_all_segment_takes_the_rest_of_the_path_slashes_included(string path, string id)
    {
        Assert.True(CatchAll.TryMatch(path, out var values));
        Assert.Equal(id, values["id"]);
    }

    [Theory]
    [InlineData("v1/items")]
    [InlineData("v1/other/a/b")]
    public void A_catch_all_segment_needs_at_least_one_segment_and_the_literal_prefix(string path)
    {
        Assert.False(CatchAll.TryMatch(path, out _));
    }

    [Fact]
    public void A_plain_parameter_still_takes_exactly_one_segment()
    {
        var single = ServiceOperation.Get("app", "v1/items/{id}", _ => Task.FromResult(0));

        Assert.True(single.TryMatch("v1/items/a%2Fb", out var values));
        Assert.Equal("a/b", values["id"]);
        Assert.False(single.TryMatch("v1/items/a/b", out _));
    }
}
