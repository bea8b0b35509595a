# cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -DCOMPILERS=cc1|cc2 -P headers-standalone.cmake
#
# Compiles every include/driverkit/**/*.h on its own (included twice, to check the
# guard) with -std=c11 -Wall -Wextra -Wpedantic -Werror and nothing but -Iinclude, once
# per compiler. Fails if any header is not self-contained or if there are no headers.
foreach(var IN ITEMS SOURCE_DIR WORK_DIR COMPILERS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "headers-standalone.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" COMPILERS "${COMPILERS}")

file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/driverkit/*.h)
list(SORT headers)
list(LENGTH headers count)
if(count EQUAL 0)
  message(FATAL_ERROR "headers-standalone: no headers under ${SOURCE_DIR}/include/driverkit")
endif()

file(MAKE_DIRECTORY ${WORK_DIR})
set(failed 0)
foreach(cc IN LISTS COMPILERS)
  get_filename_component(cc_name ${cc} NAME)
  foreach(rel IN LISTS headers)
    string(MAKE_C_IDENTIFIER ${rel} id)
    set(tu ${WORK_DIR}/${id}.c)
    file(WRITE ${tu} "#include <${rel}>\n#include <${rel}>\ntypedef int dk_header_check_nonempty;\n")
    execute_process(
      COMMAND ${cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only
              -I${SOURCE_DIR}/include ${tu}
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc EQUAL 0)
      message("ok    ${cc_name}  ${rel}")
    else()
      message("FAIL  ${cc_name}  ${rel}\n${out}")
      math(EXPR failed "${failed} + 1")
    endif()
  endforeach()
endforeach()

list(LENGTH COMPILERS ncc)
if(failed GREATER 0)
  message(FATAL_ERROR "headers-standalone: ${failed} header compile(s) failed")
endif()
message("headers-standalone: ${count} headers x ${ncc} compiler(s) compile alone")
