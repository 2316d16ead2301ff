package dev.tether.kernel.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PathArgumentTest {
    private static PathArgument relative(String raw, String base) {
        return new PathArgument(new KernelString(raw, false, false), false, PathArgument.AT_FDCWD,
                new ResolvedPath(base, false, false, false), PathArgument.Resolution.START_DIRECTORY);
    }

    @Test
    void normalisesLexically() {
        assertThat(PathArgument.normalize("/a/./b//c/../d/")).isEqualTo("/a/b/d");
        assertThat(PathArgument.normalize("/../..")).isEqualTo("/");
        assertThat(PathArgument.normalize("/usr/bin/git")).isEqualTo("/usr/bin/git");
        assertThat(PathArgument.normalize("/")).isEqualTo("/");
    }

    @Test
    void joinsARelativePathWithItsStartDirectory() {
        assertThat(relative("x/../y", "/w").requestedPath().text()).isEqualTo("/w/y");
        assertThat(relative("", "/w/d").requestedPath().text()).as("AT_EMPTY_PATH").isEqualTo("/w/d");
        assertThat(relative("/abs", "/w").requestedPath().text()).isEqualTo("/abs");
    }

    @Test
    void anUnknownStartDirectoryLeavesThePathRelative() {
        PathArgument p = new PathArgument(new KernelString("rel", false, false), false, 7, null,
                PathArgument.Resolution.NONE);
        assertThat(p.requestedPath().text()).isEqualTo("rel");
        PathArgument unreachable = new PathArgument(new KernelString("rel", false, false), false, 7,
                new ResolvedPath("/elsewhere", false, false, true), PathArgument.Resolution.START_DIRECTORY);
        assertThat(unreachable.requestedPath().text()).isEqualTo("rel");
    }

    @Test
    void escapedAndPlainPartsAreJoinedInEscapedForm() {
        PathArgument p = new PathArgument(new KernelString("f\\xff", true, false), false, PathArgument.AT_FDCWD,
                new ResolvedPath("/back\\slash", false, false, false), PathArgument.Resolution.START_DIRECTORY);
        KernelString joined = p.requestedPath();
        assertThat(joined.escaped()).isTrue();
        assertThat(joined.text()).isEqualTo("/back\\\\slash/f\\xff");
    }

    @Test
    void theOpenedFileWinsOverTheRequestedPath() {
        PathArgument p = new PathArgument(new KernelString("link", false, false), false, PathArgument.AT_FDCWD,
                new ResolvedPath("/real/file", false, false, false), PathArgument.Resolution.OPENED_FILE);
        assertThat(p.objectPath().text()).isEqualTo("/real/file");
        assertThat(p.requestedPath().text()).as("no start directory known").isEqualTo("link");
    }
}
