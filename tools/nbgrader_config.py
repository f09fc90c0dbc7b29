# nbgrader settings for grading this course. Copy this file into your grading directory
# (README, "Grading with nbgrader"): it sets the course id and the code stub that replaces
# each solution. The stub must not raise, so that "Run All" in a student's notebook goes on
# past an exercise left undone; the self-checks then score it 0 under nbgrader.
# tools/student.py reads CODE_STUB from here: the handouts and nbgrader's release match.
CODE_STUB = "# YOUR CODE HERE\npass"

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
c.CourseDirectory.root = "."
c.CourseDirectory.course_id = "cnn-course"
c.ClearSolutions.code_stub = {"python": CODE_STUB}
# Training cells (notebooks 04-07) run for minutes in full mode: nbgrader's default per-cell limit is too short.
c.Execute.timeout = 1800
