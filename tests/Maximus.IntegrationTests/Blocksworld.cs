namespace Maximus.IntegrationTests;

/// <summary>A small Blocksworld written for these tests: the four classic STRIPS operators.</summary>
public static class Blocksworld
{
    public const string Domain = """
        (define (domain blocksworld)
          (:requirements :strips)
          (:predicates (clear ?x) (ontable ?x) (handempty) (holding ?x) (on ?x ?y))
          (:action pick-up
            :parameters (?x)
            :precondition (and (clear ?x) (ontable ?x) (handempty))
            :effect (and (holding ?x) (not (clear ?x)) (not (ontable ?x)) (not (handempty))))
          (:action put-down
            :parameters (?x)
            :precondition (holding ?x)
            :effect (and (clear ?x) (handempty) (ontable ?x) (not (holding ?x))))
          (:action stack
            :parameters (?x ?y)
            :precondition (and (clear ?y) (holding ?x))
            :effect (and (handempty) (clear ?x) (on ?x ?y) (not (clear ?y)) (not (holding ?x))))
          (:action unstack
            :parameters (?x ?y)
            :precondition (and (on ?x ?y) (clear ?x) (handempty))
            :effect (and (holding ?x) (clear ?y) (not (on ?x ?y)) (not (clear ?x)) (not (handempty)))))
        """;

    /// <summary>Three blocks, c on b on a, to be inverted: a on b on c.</summary>
    public const string InvertThree = """
        (define (problem invert-three)
          (:domain blocksworld)
          (:objects a b c)
          (:init (handempty) (ontable a) (on b a) (on c b) (clear c))
          (:goal (and (on a b) (on b c))))
        """;

    /// <summary>Two blocks on the table, and the given goal.</summary>
    public static string Problem(string name, string goal) => $"""
        (define (problem {name})
          (:domain blocksworld)
          (:objects a b)
          (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
          (:goal {goal}))
        """;
}
