using Maximus.Tests;

namespace Maximus.IntegrationTests;

/// <summary>The four classic STRIPS operators of the shared test Blocksworld, and problems written for these tests.</summary>
public static class Blocksworld
{
    /// <summary>The shared Blocksworld of <c>tests/TestData/pddl</c> (domain <c>blocks</c>).</summary>
    public static string Domain => TestPddl.Blocksworld;

    /// <summary>Three blocks, c on b on a, to be inverted: a on b on c.</summary>
    public const string InvertThree = """
        (define (problem invert-three)
          (:domain blocks)
          (:objects a b c)
          (:init (handempty) (ontable a) (on b a) (on c b) (clear c))
          (:goal (and (on a b) (on b c))))
        """;

    /// <summary>Two blocks on the table, and the given goal.</summary>
    public static string Problem(string name, string goal) => $"""
        (define (problem {name})
          (:domain blocks)
          (:objects a b)
          (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
          (:goal {goal}))
        """;
}
