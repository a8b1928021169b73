namespace Maximus.Plugins.Pddl.Tests;

public sealed class PddlParserTests
{
    private static readonly PddlDomain Blocks = PddlParser.ParseDomain(Pddl.Blocksworld, "blocks.pddl");

    private static PddlParseException DomainError(string text) =>
        Assert.Throws<PddlParseException>(() => PddlParser.ParseDomain(text, "domain.pddl"));

    private static PddlParseException ProblemError(string text, PddlDomain? domain = null) =>
        Assert.Throws<PddlParseException>(() => PddlParser.ParseProblem(text, domain ?? Blocks, "problem.pddl"));

    [Fact]
    public void Untyped_domain_and_problem_are_parsed_in_lower_case_without_comments()
    {
        var problem = PddlParser.ParseProblem(Pddl.BlocksworldProblem, Blocks);

        Assert.Equal("blocks", Blocks.Name);
        Assert.Equal([":strips"], Blocks.Requirements);
        Assert.Equal(["on/2", "ontable/1", "clear/1", "handempty/0", "holding/1"], Blocks.Predicates.Select(p => $"{p.Name}/{p.Arity}"));
        var stack = Assert.Single(Blocks.Actions, a => a.Name == "stack");
        Assert.Equal(["?x", "?y"], stack.Parameters.Select(p => p.Name));
        Assert.All(stack.Parameters, p => Assert.Equal("object", p.Type));
        Assert.Equal(["(holding ?x)", "(clear ?y)"], stack.Preconditions.Select(p => p.ToString()));
        Assert.Equal(
            ["(not (holding ?x))", "(not (clear ?y))", "(clear ?x)", "(handempty)", "(on ?x ?y)"],
            stack.Effects.Select(e => e.ToString()));
        Assert.Equal(["(holding ?x)"], Blocks.FindAction("PUT-DOWN")!.Preconditions.Select(p => p.ToString()));

        Assert.Equal("sussman", problem.Name);
        Assert.Equal("blocks", problem.DomainName);
        Assert.Equal(["a:object", "b:object", "c:object"], problem.Objects.Select(o => $"{o.Name}:{o.Type}"));
        Assert.Equal(6, problem.Init.Count);
        Assert.Equal(["(on a b)", "(on b c)"], problem.Goal.Select(g => g.ToString()));
        Assert.Equal(Pddl.BlocksworldProblem, problem.SourceText);
    }

    [Fact]
    public void Typed_domain_has_a_type_hierarchy_constants_and_typed_parameters()
    {
        var domain = PddlParser.ParseDomain(Pddl.Depot, "depot.pddl");
        var problem = PddlParser.ParseProblem(Pddl.DepotProblem, domain, "depot-1.pddl");

        Assert.Equal(
            ["object:", "place:object", "locatable:object", "depot:place", "distributor:place", "truck:locatable", "hoist:locatable", "surface:locatable", "pallet:surface", "crate:surface"],
            domain.Types.Select(t => $"{t.Name}:{t.Parent}"));
        Assert.True(domain.IsSubtypeOf("crate", "locatable"));
        Assert.True(domain.IsSubtypeOf("depot", "object"));
        Assert.False(domain.IsSubtypeOf("truck", "surface"));
        Assert.Equal([new PddlTypedName("central", "depot")], domain.Constants);
        var drive = domain.FindAction("drive")!;
        Assert.Equal(["?t:truck", "?from:place", "?to:place"], drive.Parameters.Select(p => $"{p.Name}:{p.Type}"));
        Assert.Equal(["(at ?t ?from)", "(not (broken ?t))", "(not (= ?from ?to))"], drive.Preconditions.Select(p => p.ToString()));
        Assert.True(drive.Preconditions[2].IsEquality);
        Assert.Equal(["(at ?t central)"], domain.FindAction("refuel")!.Preconditions.Select(p => p.ToString()));

        Assert.Equal("north:distributor", $"{problem.Objects[0].Name}:{problem.Objects[0].Type}");
        Assert.Contains(problem.Init, a => a.ToString() == "(at t1 central)");
        Assert.Equal(["(at t1 north)", "(lifting h1 c1)", "(not (broken t2))"], problem.Goal.Select(g => g.ToString()));
    }

    [Fact]
    public void Types_named_only_as_parents_are_declared_implicitly()
    {
        var domain = PddlParser.ParseDomain("""
            (define (domain d) (:requirements :typing)
              (:types car bike - vehicle)
              (:predicates (parked ?v - vehicle)))
            """);

        Assert.Equal(["object:", "car:vehicle", "bike:vehicle", "vehicle:object"], domain.Types.Select(t => $"{t.Name}:{t.Parent}"));
    }

    [Fact]
    public void Empty_precondition_and_single_atom_forms_are_accepted()
    {
        var domain = PddlParser.ParseDomain("""
            (define (domain switch)
              (:predicates (on))
              (:action flip-on :parameters () :precondition () :effect (on))
              (:action flip-off :parameters () :precondition (on) :effect (not (on))))
            """);

        Assert.Empty(domain.FindAction("flip-on")!.Preconditions);
        Assert.Equal(["(on)"], domain.FindAction("flip-on")!.Effects.Select(e => e.ToString()));
        Assert.Equal(["(not (on))"], domain.FindAction("flip-off")!.Effects.Select(e => e.ToString()));
    }

    [Fact]
    public void Missing_closing_parenthesis_points_at_the_unclosed_one()
    {
        var error = DomainError("(define (domain d)\n  (:predicates (p ?x)\n  (:action a :parameters (?x) :effect (p ?x)))");

        Assert.Equal("domain.pddl", error.FileName);
        Assert.Equal(1, error.Line);
        Assert.Equal(1, error.Column);
        Assert.StartsWith("domain.pddl:1:1: missing ')'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_closing_parenthesis_is_reported_where_it_is()
    {
        var error = DomainError("(define (domain d)\n  (:predicates (p ?x)))\n)");

        Assert.Equal((3, 1), (error.Line, error.Column));
        Assert.Equal("domain.pddl:3:1: unexpected ')' without a matching '('", error.Message);
    }

    [Fact]
    public void Unknown_predicate_is_reported_with_file_line_column_and_action()
    {
        var text = Pddl.Blocksworld.Replace("(holding ?x) (clear ?y))", "(holding ?x) (foo ?y))", StringComparison.Ordinal);

        var error = DomainError(text);

        var line = text.Split('\n').Select((l, i) => (l, i)).First(x => x.l.Contains("(foo ?y)", StringComparison.Ordinal));
        Assert.Equal(line.i + 1, error.Line);
        Assert.Equal(line.l.IndexOf("foo", StringComparison.Ordinal) + 1, error.Column);
        Assert.Equal($"domain.pddl:{error.Line}:{error.Column}: unknown predicate 'foo' in precondition of action 'stack'", error.Message);
        Assert.Equal("unknown predicate 'foo' in precondition of action 'stack'", error.Reason);
    }

    [Fact]
    public void Wrong_arity_is_reported_with_expected_and_actual_counts()
    {
        var error = DomainError(Pddl.Blocksworld.Replace("(on ?x ?y)))", "(on ?x)))", StringComparison.Ordinal));

        Assert.Equal("domain.pddl", error.FileName);
        Assert.True(error.Line > 1);
        Assert.EndsWith("wrong number of arguments for predicate 'on' in effect of action 'stack': expected 2, got 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":conditional-effects")]
    [InlineData(":fluents")]
    [InlineData(":durative-actions")]
    [InlineData(":adl")]
    public void Unsupported_requirement_is_rejected_with_a_clear_message(string requirement)
    {
        var error = DomainError($"(define (domain d)\n  (:requirements :strips {requirement}))");

        Assert.Equal((2, 26), (error.Line, error.Column));
        Assert.Equal(
            $"domain.pddl:2:26: requirement '{requirement}' is not supported (supported: :strips, :typing, :negative-preconditions, :equality)",
            error.Message);
    }

    [Theory]
    [InlineData("(:action a :parameters (?x) :precondition (p ?y) :effect (p ?x))", "unknown parameter variable '?y' in precondition of action 'a'")]
    [InlineData("(:action a :parameters (?x - thing) :effect (p ?x))", "undeclared type 'thing' of parameter '?x' of action 'a'")]
    [InlineData("(:action a :parameters (?x) :precondition (or (p ?x) (q)) :effect (p ?x))", "'or' is not supported in precondition of action 'a' (only conjunctions of literals)")]
    [InlineData("(:action a :parameters (?x) :effect (when (q) (p ?x)))", "'when' is not supported in effect of action 'a' (only conjunctions of literals)")]
    [InlineData("(:action a :parameters (?x) :effect (p home))", "unknown constant 'home' in effect of action 'a'")]
    [InlineData("(:action a :parameters (?x ?x) :effect (p ?x))", "parameter '?x' is declared twice in action 'a'")]
    [InlineData("(:action a :parameters (?x) :effect (= ?x ?x))", "equality is not supported in effect of action 'a'")]
    [InlineData("(:functions (fuel))", "':functions' (numeric fluents) is not supported; only STRIPS domains are")]
    [InlineData("(:durative-action a)", "durative actions are not supported; only STRIPS domains are")]
    public void Semantic_errors_in_actions_are_reported(string section, string reason)
    {
        var error = DomainError($"(define (domain d)\n  (:predicates (p ?x) (q))\n  {section})");

        Assert.Equal(3, error.Line);
        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void Unknown_object_in_init_or_goal_is_rejected()
    {
        var init = ProblemError("(define (problem p) (:domain blocks) (:objects a)\n (:init (clear a) (clear z))\n (:goal (clear a)))");
        var goal = ProblemError("(define (problem p) (:domain blocks) (:objects a)\n (:init (clear a))\n (:goal (and (on a zz))))");

        Assert.Equal("problem.pddl:2:26: unknown object 'z' in ':init'", init.Message);
        Assert.Equal("problem.pddl:3:20: unknown object 'zz' in ':goal'", goal.Message);
    }

    [Fact]
    public void Text_after_the_definition_is_rejected()
    {
        var error = DomainError("(define (domain d) (:predicates (p)))\n(define (domain e))");

        Assert.Equal("domain.pddl:2:1: unexpected content after the end of the definition", error.Message);
    }

    [Fact]
    public void Problem_for_another_domain_is_rejected()
    {
        var error = ProblemError("(define (problem p)\n (:domain logistics)\n (:objects a) (:init) (:goal (clear a)))");

        Assert.Equal((2, 11), (error.Line, error.Column));
        Assert.Equal("problem 'p' is for domain 'logistics' but the domain given is 'blocks'", error.Reason);
    }

    [Fact]
    public void Problem_objects_of_undeclared_types_and_negative_init_atoms_are_rejected()
    {
        var depot = PddlParser.ParseDomain(Pddl.Depot);

        var type = ProblemError("(define (problem p) (:domain depot) (:objects x - spaceship) (:init) (:goal (and)))", depot);
        var negative = ProblemError("(define (problem p) (:domain blocks) (:objects a) (:init (not (clear a))) (:goal (clear a)))");

        Assert.Equal("undeclared type 'spaceship' of object 'x'", type.Reason);
        Assert.Equal("negative literals are not allowed in ':init' (atoms not listed are false)", negative.Reason);
    }

    [Fact]
    public void Error_without_file_name_still_has_line_and_column()
    {
        var error = Assert.Throws<PddlParseException>(() => PddlParser.ParseDomain("(define (domain d)\n (:predicates (p))\n (:action a :effect (r)))"));

        Assert.Null(error.FileName);
        Assert.Equal("3:22: unknown predicate 'r' in effect of action 'a'", error.Message);
    }

    [Fact]
    public void Written_pddl_parses_back_to_the_same_model()
    {
        var domain = PddlParser.ParseDomain(Pddl.Depot);
        var problem = PddlParser.ParseProblem(Pddl.DepotProblem, domain);

        var again = PddlParser.ParseDomain(PddlWriter.Write(domain));
        var problemAgain = PddlParser.ParseProblem(PddlWriter.Write(problem), again);

        Assert.Equal(domain.Types, again.Types);
        Assert.Equal(domain.Constants, again.Constants);
        Assert.Equal(Describe(domain), Describe(again));
        Assert.Equal(problem.Objects, problemAgain.Objects);
        Assert.Equal(problem.Init.Select(a => a.ToString()), problemAgain.Init.Select(a => a.ToString()));
        Assert.Equal(problem.Goal.Select(a => a.ToString()), problemAgain.Goal.Select(a => a.ToString()));
    }

    private static IEnumerable<string> Describe(PddlDomain domain) =>
        domain.Predicates.Select(p => $"{p.Name}({string.Join(',', p.Parameters)})")
            .Concat(domain.Actions.Select(a =>
                $"{a.Name}({string.Join(',', a.Parameters)}) pre {string.Join(' ', a.Preconditions)} eff {string.Join(' ', a.Effects)}"));
}
