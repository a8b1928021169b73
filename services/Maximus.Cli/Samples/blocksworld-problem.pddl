; A tower to invert: d on c on b on a becomes a on b on c on d.
(define (problem invert-tower)
  (:domain blocksworld)
  (:objects a b c d)
  (:init (handempty) (ontable a) (on b a) (on c b) (on d c) (clear d))
  (:goal (and (on a b) (on b c) (on c d))))
